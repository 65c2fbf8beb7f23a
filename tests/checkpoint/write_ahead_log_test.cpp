// The receivers' write-ahead log: the log itself, and recovery of received blocks that no
// checkpoint covered (a reliable receiver's data is processed exactly once across a stop).

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <ember/ember.hpp>
#include <ember/internal/write_ahead_log.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "testing/disk.hpp"
#include "testing/harness.hpp"
#include "testing/net.hpp"

namespace ember {
namespace {

namespace fs = std::filesystem;
using detail::LoggedBlock;
using detail::WriteAheadLog;

TEST(WriteAheadLog, ReadsBackWhatWasAppendedInOrder) {
  testing::TempDir dir;
  {
    WriteAheadLog log(dir.str() + "/wal");
    EXPECT_TRUE(log.recovered().empty());
    EXPECT_EQ(log.append(3, "pos-1", "one"), 1u);
    EXPECT_EQ(log.append(4, "", "two"), 2u);
    EXPECT_EQ(log.append(3, "pos-3", "three"), 3u);
  }
  WriteAheadLog log(dir.str() + "/wal");
  ASSERT_EQ(log.recovered().size(), 3u);
  EXPECT_EQ(log.recovered()[0].stream_id, 3);
  EXPECT_EQ(log.recovered()[0].position, "pos-1");
  EXPECT_EQ(log.recovered()[1].data, "two");
  EXPECT_EQ(log.recovered()[2].seq, 3u);
  EXPECT_EQ(log.append(3, "", "four"), 4u);  // numbering goes on across restarts
}

TEST(WriteAheadLog, AnIncompleteLastRecordIsIgnoredWithAWarning) {
  testing::TempDir dir;
  std::string segment;
  {
    WriteAheadLog log(dir.str());
    log.append(1, "", "kept");
    log.append(1, "", std::string(1000, 'x'));
    segment = log.segments().back();
  }
  fs::resize_file(segment, fs::file_size(segment) - 10);  // the crash cut the last write
  ScopedLogCapture logs(LogLevel::kWarn);
  WriteAheadLog log(dir.str());
  ASSERT_EQ(log.recovered().size(), 1u);
  EXPECT_EQ(log.recovered()[0].data, "kept");
  EXPECT_TRUE(logs.contains("incomplete record")) << ::testing::PrintToString(logs.lines());
  // Later records go to a new segment and read back.
  EXPECT_EQ(log.append(1, "", "after"), 2u);
}

TEST(WriteAheadLog, ACorruptRecordIsSkippedAloneAndTheFileKept) {
  // One flipped byte in a segment's first record dropped the whole segment, called it a
  // crash and deleted the file.
  testing::TempDir dir;
  std::string segment;
  {
    WriteAheadLog log(dir.str());
    log.append(1, "", "first-record");
    for (int i = 0; i < 9; ++i) log.append(1, "", "record-" + std::to_string(i));
    segment = log.segments().back();
  }
  std::string bytes;
  {
    std::ifstream in(segment, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  bytes[bytes.find("first-record")] ^= 0x01;
  {
    std::ofstream out(segment, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  ScopedLogCapture logs(LogLevel::kWarn);
  WriteAheadLog log(dir.str());
  ASSERT_EQ(log.recovered().size(), 9u);  // all but the corrupt one
  EXPECT_EQ(log.recovered()[0].seq, 2u);
  EXPECT_EQ(log.recovered()[8].data, "record-8");
  EXPECT_EQ(log.corruptRecords(), 1u);
  EXPECT_TRUE(logs.contains("corrupt")) << ::testing::PrintToString(logs.lines());
  EXPECT_FALSE(logs.contains("crash")) << ::testing::PrintToString(logs.lines());
  EXPECT_TRUE(fs::exists(segment + ".corrupt"));
  EXPECT_EQ(log.append(1, "", "after"), 11u);
}

TEST(WriteAheadLog, SegmentsCoveredByACheckpointAreDeleted) {
  testing::TempDir dir;
  WriteAheadLog log(dir.str(), /*max_segment_bytes=*/100);
  for (int i = 0; i < 6; ++i) log.append(1, "", std::string(60, 'a'));  // 1 per segment at 100 B
  ASSERT_EQ(log.segments().size(), 3u);  // two records fill a segment
  log.deleteUpTo(4);
  auto left = log.segments();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(fs::path(left[0]).filename(), "log-5");
  log.deleteUpTo(6);
  EXPECT_TRUE(log.segments().empty());
  EXPECT_EQ(log.append(1, "", "next"), 7u);
}

TEST(WriteAheadLog, AFailedWriteIsAnErrorAndLaterWritesStayReadable) {
  testing::TempDir dir;
  WriteAheadLog log(dir.str());
  log.append(1, "", "before");
  std::string error;
  {
    // A file size limit fails writes as a full disk does (EFBIG instead of ENOSPC).
    testing::ScopedFileSizeLimit full_disk(2000);
    ASSERT_TRUE(full_disk.ok());
    try {
      log.append(1, "", std::string(5000, 'x'));
    } catch (const IoError& e) {
      error = e.what();
    }
  }
  EXPECT_NE(error.find("log-1"), std::string::npos) << error;
  EXPECT_NE(error.find("File too large"), std::string::npos) << error;
  log.append(1, "", "after");
  ScopedLogCapture logs(LogLevel::kWarn);
  WriteAheadLog reread(dir.str());
  std::vector<std::string> data;
  for (const LoggedBlock& b : reread.recovered()) data.push_back(b.data);
  EXPECT_EQ(data, (std::vector<std::string>{"before", "after"}));
}

/// A reliable receiver fed by the test: `push` stores a block with a position and returns
/// once it is stored; `resumedFrom` is what `lastStoredPosition()` said at start.
class PushReceiver : public Receiver<std::string> {
 public:
  void onStart() override {
    auto p = lastStoredPosition();
    std::lock_guard lock(mu_);
    resumed_from_ = p;
    started_ = true;
  }
  void onStop() override {}
  std::string name() const override { return "PushReceiver"; }
  void push(std::vector<std::string> words, std::string position) {
    ASSERT_TRUE(testing::waitUntil([&] {
      std::lock_guard lock(mu_);
      return started_;
    }));
    store(std::move(words), std::move(position));
  }
  std::optional<std::string> resumedFrom() {
    std::lock_guard lock(mu_);
    return resumed_from_;
  }

 private:
  std::mutex mu_;
  bool started_ = false;
  std::optional<std::string> resumed_from_;
};

using Counts = std::map<std::string, int64_t>;

struct WalJob {
  std::unique_ptr<StreamingContext> ssc;
  std::shared_ptr<PushReceiver> receiver;
  std::shared_ptr<std::mutex> mu = std::make_shared<std::mutex>();
  std::shared_ptr<Counts> state = std::make_shared<Counts>();
  std::shared_ptr<std::set<int64_t>> output_times = std::make_shared<std::set<int64_t>>();
};

WalJob startWalJob(const std::string& dir) {
  WalJob job;
  job.ssc = StreamingContext::getOrCreate(dir, [&] {
    auto conf = testing::testConf();
    conf.set("ember.streaming.receiver.writeAheadLog.enable", "true");
    auto ssc = std::make_unique<StreamingContext>(conf, Seconds(1));
    ssc->checkpoint(dir);
    job.receiver = std::make_shared<PushReceiver>();
    ssc->receiverStream(job.receiver)
        .map([](const std::string& w) { return std::pair(w, int64_t{1}); })
        .updateStateByKey([](const std::vector<int64_t>& ones, std::optional<int64_t> n) {
          return std::optional<int64_t>(n.value_or(0) + static_cast<int64_t>(ones.size()));
        })
        .checkpoint(Seconds(2))
        .foreachRDD([mu = job.mu, state = job.state, times = job.output_times](
                        const RDD<std::pair<std::string, int64_t>>& rdd, Time t) {
          auto data = rdd.collect();
          std::lock_guard lock(*mu);
          *state = Counts(data.begin(), data.end());
          times->insert(t.milliseconds());
        });
    return ssc;
  });
  job.ssc->start();
  return job;
}

TEST(ReceiverWriteAheadLog, BlocksNotCoveredByTheCheckpointAreProcessedAfterARestart) {
  testing::TempDir dir;
  {
    auto job = startWalJob(dir.str());
    job.receiver->push({"a", "b"}, "1");
    job.ssc->clock().advance(Seconds(2));  // batches 1 and 2; the checkpoint of batch 2
    ASSERT_TRUE(testing::waitUntil([&] { return job.ssc->checkpointStats().last == Time(2000); }));
    job.receiver->push({"b", "c"}, "2");
    job.ssc->clock().advance(Seconds(1));  // batch 3 processes it: no checkpoint covers it
    job.receiver->push({"c", "d"}, "3");   // stored (durable), not yet in any batch
    job.ssc->stop();
    std::lock_guard lock(*job.mu);
    EXPECT_EQ(*job.state, (Counts{{"a", 1}, {"b", 2}, {"c", 1}}));
  }
  auto job = startWalJob(dir.str());
  // Batch 3 completed (the batch log says so): it runs again with its logged block, only for
  // the state; the block no batch took goes to batch 4.
  ASSERT_EQ(job.ssc->recoveredFrom(), Time(3000));
  EXPECT_EQ(job.receiver->resumedFrom(), "3");  // where the source resumes
  job.ssc->clock().advance(Seconds(1));
  job.ssc->stop();
  std::lock_guard lock(*job.mu);
  EXPECT_EQ(*job.state, (Counts{{"a", 1}, {"b", 2}, {"c", 2}, {"d", 1}}));
  EXPECT_EQ(*job.output_times, (std::set<int64_t>{4000}));
}

TEST(ReceiverWriteAheadLog, BatchesAfterTheCheckpointGetTheirLoggedBlocksBackAfterARestart) {
  testing::TempDir dir;
  {
    auto job = startWalJob(dir.str());
    job.receiver->push({"a"}, "1");
    job.ssc->clock().advance(Seconds(2));  // the checkpoint of batch 2
    ASSERT_TRUE(testing::waitUntil([&] { return job.ssc->checkpointStats().last == Time(2000); }));
    job.receiver->push({"b", "c"}, "2");
    job.ssc->clock().advance(Seconds(1));  // batch 3
    job.receiver->push({"c"}, "3");
    job.ssc->clock().advance(Seconds(1));  // batch 4: the checkpoint of batch 4
    ASSERT_TRUE(testing::waitUntil([&] { return job.ssc->checkpointStats().last == Time(4000); }));
    job.receiver->push({"d", "a"}, "4");
    job.ssc->clock().advance(Seconds(1));  // batch 5
    job.ssc->stop();
    std::lock_guard lock(*job.mu);
    EXPECT_EQ(*job.state, (Counts{{"a", 2}, {"b", 1}, {"c", 2}, {"d", 1}}));
  }
  auto job = startWalJob(dir.str());
  ASSERT_EQ(job.ssc->recoveredFrom(), Time(5000));
  job.receiver->push({"e"}, "5");
  job.ssc->clock().advance(Seconds(1));  // batch 6 only
  job.ssc->stop();
  std::lock_guard lock(*job.mu);
  EXPECT_EQ(*job.state, (Counts{{"a", 2}, {"b", 1}, {"c", 2}, {"d", 1}, {"e", 1}}));
  EXPECT_EQ(*job.output_times, (std::set<int64_t>{6000}));
}

TEST(ReceiverWriteAheadLog, SegmentsGoOnceACheckpointCoversThem) {
  testing::TempDir dir;
  auto job = startWalJob(dir.str());
  job.ssc->clock().advance(Seconds(1));  // batch 1 writes the first checkpoint
  ASSERT_TRUE(testing::waitUntil([&] { return job.ssc->checkpointStats().last == Time(1000); }));
  job.receiver->push({"a"}, "1");
  EXPECT_FALSE(fs::is_empty(dir.path() / "receivedBlockData"));
  job.ssc->clock().advance(Seconds(1));  // checkpoint of batch 2 covers the block
  ASSERT_TRUE(testing::waitUntil([&] { return job.ssc->checkpointStats().last == Time(2000); }));
  EXPECT_TRUE(fs::is_empty(dir.path() / "receivedBlockData"));
  job.ssc->stop();
}

TEST(ReceiverWriteAheadLog, NumberingGoesOnAfterTheCheckpointDeletedEverySegment) {
  testing::TempDir dir;
  {
    auto job = startWalJob(dir.str());
    job.receiver->push({"a"}, "1");
    job.ssc->clock().advance(Seconds(2));  // the checkpoint covers the block: log emptied
    ASSERT_TRUE(testing::waitUntil([&] { return job.ssc->checkpointStats().last == Time(2000); }));
    job.ssc->stop();
  }
  {
    auto job = startWalJob(dir.str());
    job.receiver->push({"b"}, "2");  // must not reuse number 1, which the checkpoint covers
    job.ssc->stop();
  }
  auto job = startWalJob(dir.str());
  job.ssc->clock().advance(Seconds(1));
  job.ssc->stop();
  std::lock_guard lock(*job.mu);
  EXPECT_EQ(*job.state, (Counts{{"a", 1}, {"b", 1}}));
}

TEST(ReceiverWriteAheadLog, NeedsACheckpointDirectory) {
  auto conf = testing::testConf();
  conf.set("ember.streaming.receiver.writeAheadLog.enable", "true");
  StreamingContext ssc(conf, Seconds(1));
  ssc.receiverStream(std::make_shared<PushReceiver>()).print();
  try {
    ssc.start();
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("needs a checkpoint directory"), std::string::npos);
  }
}

TEST(ReceiverWriteAheadLog, ASlowSyncDoesNotHoldUpBatchGeneration) {
  testing::TempDir dir;
  std::mutex mu;
  std::condition_variable cv;
  bool syncing = false, release = false;  // guarded by mu
  WriteAheadLog::setBeforeSyncForTesting([&] {
    std::unique_lock lock(mu);
    syncing = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  });
  auto job = startWalJob(dir.str());
  std::thread pusher([&] { job.receiver->push({"a"}, "1"); });
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return syncing; }));
  }
  // The block is being synced: batch 1 is generated and runs without it.
  testing::finishesWithin(std::chrono::seconds(20), "a batch while the log syncs",
                          [&] { job.ssc->clock().advance(Seconds(1)); });
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  pusher.join();
  job.ssc->clock().advance(Seconds(1));  // batch 2 takes the block, now on disk
  job.ssc->stop();
  WriteAheadLog::setBeforeSyncForTesting(nullptr);
  std::lock_guard lock(*job.mu);
  EXPECT_EQ(*job.state, (Counts{{"a", 1}}));
}

}  // namespace
}  // namespace ember
