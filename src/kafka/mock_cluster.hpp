#pragma once
/// librdkafka's in-process mock cluster (real Kafka protocol on 127.0.0.1 ports) and a
/// plain producer: for the tests, the benchmark and the `ember-kafka-mock` tool.

#include <atomic>
#include <ember/kafka.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "kafka/client.hpp"

struct rd_kafka_mock_cluster_s;

namespace ember::kafka::detail {

class MockCluster {
 public:
  /// Starts `brokers` brokers on free 127.0.0.1 ports.
  explicit MockCluster(int brokers = 1);
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  /// "127.0.0.1:port,..." for `bootstrap.servers`.
  const std::string& bootstraps() const { return bootstraps_; }
  void createTopic(const std::string& topic, int partitions);

 private:
  Handle handle_;  // the cluster lives in this client's threads
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  std::string bootstraps_;
};

/// A producer writing to explicit partitions; `flush` throws `KafkaError` if any record
/// was not delivered.
class Producer {
 public:
  explicit Producer(const std::string& bootstraps, const KafkaParams& extra = {});
  void send(const std::string& topic, int32_t partition, std::string_view key,
            std::string_view value);
  void flush(int timeout_ms = 30000);

 private:
  Handle handle_;
  std::string bootstraps_;
  std::shared_ptr<std::atomic<int64_t>> failed_;
};

}  // namespace ember::kafka::detail
