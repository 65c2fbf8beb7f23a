#include "kafka/mock_cluster.hpp"

#include <librdkafka/rdkafka_mock.h>

#include <atomic>
#include <ember/error.hpp>

namespace ember::kafka::detail {
namespace {

Handle newClient(rd_kafka_type_t type, const KafkaParams& params, const std::string& what,
                 void (*delivered)(rd_kafka_t*, const rd_kafka_message_t*, void*) = nullptr,
                 void* opaque = nullptr) {
  ConfPtr conf;
  try {
    conf = buildConf(params);
  } catch (const UsageError& e) {
    throw UsageError(what + ": " + e.what());
  }
  if (delivered != nullptr) rd_kafka_conf_set_dr_msg_cb(conf.get(), delivered);
  if (opaque != nullptr) rd_kafka_conf_set_opaque(conf.get(), opaque);
  char error[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), error, sizeof(error));
  if (rk == nullptr) throw KafkaError(what + ": " + error);
  conf.release();  // owned by `rk` now
  return Handle(rk);
}

void onDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    static_cast<std::atomic<int64_t>*>(opaque)->fetch_add(1);
  }
}

}  // namespace

MockCluster::MockCluster(int brokers) {
  handle_ = newClient(RD_KAFKA_PRODUCER, {{"log_level", "3"}}, "Cannot start a mock cluster");
  cluster_ = rd_kafka_mock_cluster_new(handle_.get(), brokers);
  if (cluster_ == nullptr) throw KafkaError("Cannot start a Kafka mock cluster");
  bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_);
}

MockCluster::~MockCluster() {
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
}

void MockCluster::createTopic(const std::string& topic, int partitions) {
  if (rd_kafka_resp_err_t err =
          rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1)) {
    throw KafkaError("Cannot create topic '" + topic +
                     "' on the mock cluster: " + rd_kafka_err2str(err));
  }
}

Producer::Producer(const std::string& bootstraps, const KafkaParams& extra)
    : bootstraps_(bootstraps), failed_(std::make_shared<std::atomic<int64_t>>(0)) {
  KafkaParams params = extra;
  params["bootstrap.servers"] = bootstraps;
  handle_ = newClient(RD_KAFKA_PRODUCER, params, "Cannot create a Kafka producer", onDelivery,
                      failed_.get());
}

void Producer::send(const std::string& topic, int32_t partition, std::string_view key,
                    std::string_view value) {
  for (;;) {
    rd_kafka_resp_err_t err =
        rd_kafka_producev(handle_.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                          RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_KEY(key.data(), key.size()),
                          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      throw KafkaError("Cannot produce to " + describe(topic, partition) + " on " + bootstraps_ +
                       ": " + rd_kafka_err2str(err));
    }
    rd_kafka_poll(handle_.get(), 10);  // the queue is full: let deliveries drain it
  }
  rd_kafka_poll(handle_.get(), 0);
}

void Producer::flush(int timeout_ms) {
  rd_kafka_resp_err_t err = rd_kafka_flush(handle_.get(), timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw KafkaError("Producing to " + bootstraps_ + ": records still undelivered after " +
                     std::to_string(timeout_ms) + " ms");
  }
  if (int64_t failed = failed_->load(); failed > 0) {
    throw KafkaError("Producing to " + bootstraps_ + ": " + std::to_string(failed) +
                     " records were not delivered");
  }
}

}  // namespace ember::kafka::detail
