// Checkpoint files: atomic, versioned, checksummed; corrupt, truncated and foreign files;
// a full disk and a directory that cannot be written.

#include <gtest/gtest.h>

#include <ember/error.hpp>
#include <ember/internal/checkpoint.hpp>
#include <ember/logging.hpp>
#include <filesystem>
#include <fstream>

#include "testing/disk.hpp"
#include "testing/harness.hpp"

namespace ember::detail {
namespace {

namespace fs = std::filesystem;

CheckpointContents contentsAt(int64_t time_ms, std::string data = "state") {
  CheckpointContents c;
  c.meta.app_name = "test";
  c.meta.batch_ms = 1000;
  c.meta.time_ms = time_ms;
  c.meta.graph = {"0: generatorStream", "1: foreachRDD"};
  c.nodes.push_back(NodeCheckpoint{3, std::move(data)});
  return c;
}

std::string readAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeAll(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

BatchRecord record(int64_t time_ms, const std::string& data) {
  BatchRecord r;
  r.time_ms = time_ms;
  r.zero_ms = 0;
  r.nodes.push_back(NodeCheckpoint{7, data});
  return r;
}

TEST(BatchLog, RecordsReadBackByBatchTimeAcrossLogs) {
  testing::TempDir dir;
  {
    BatchLog log(dir.str());
    log.append(0, {record(1000, "one"), record(2000, "two")});
    log.append(2000, {record(3000, "three")});  // after the checkpoint of batch 2
  }
  EXPECT_TRUE(fs::exists(dir.path() / "batches-0"));
  EXPECT_TRUE(fs::exists(dir.path() / "batches-2000"));
  auto records = BatchLog::readAll(dir.str());
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records.at(2000).nodes.at(0).bytes, "two");
  EXPECT_EQ(records.at(3000).nodes.at(0).node_id, 7);
  EXPECT_EQ(records.at(3000).nodes.at(0).bytes, "three");
}

TEST(BatchLog, ACorruptRecordEndsItsLogWithAWarningNamingTheFile) {
  testing::TempDir dir;
  {
    BatchLog log(dir.str());
    for (int64_t t = 1000; t <= 3000; t += 1000)
      log.append(0, {record(t, "data-" + std::to_string(t))});
  }
  fs::path path = dir.path() / "batches-0";
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  bytes[bytes.find("data-2000")] ^= 0x20;  // a flipped bit in the second record
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  ScopedLogCapture logs(LogLevel::kWarn);
  auto records = BatchLog::readAll(dir.str());
  EXPECT_EQ(records.size(), 1u);  // the batches from the bad record on run again
  EXPECT_TRUE(records.count(1000));
  EXPECT_TRUE(logs.contains("corrupt record")) << ::testing::PrintToString(logs.lines());
  EXPECT_TRUE(logs.contains(path.string())) << ::testing::PrintToString(logs.lines());
}

TEST(BatchLog, LogsOfCheckpointsNoRestartReadsAreRemoved) {
  testing::TempDir dir;
  BatchLog log(dir.str());
  log.append(0, {record(1000, "a")});
  log.append(2000, {record(3000, "b")});
  log.append(4000, {record(5000, "c")});
  log.removeBefore(4000);
  EXPECT_FALSE(fs::exists(dir.path() / "batches-0"));
  EXPECT_FALSE(fs::exists(dir.path() / "batches-2000"));
  EXPECT_TRUE(fs::exists(dir.path() / "batches-4000"));
  log.append(4000, {record(6000, "d")});  // still appended to
  EXPECT_EQ(BatchLog::readAll(dir.str()).size(), 2u);
}

TEST(CheckpointStore, WritesAndReadsBackTheNewest) {
  testing::TempDir dir;
  CheckpointStore store(dir.str() + "/nested/ckpt", 3);
  store.write(contentsAt(1000, "one"));
  store.write(contentsAt(2000, "two"));
  auto loaded = store.readLatest();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->contents.meta.time_ms, 2000);
  EXPECT_EQ(loaded->contents.meta.graph.size(), 2u);
  ASSERT_EQ(loaded->contents.nodes.size(), 1u);
  EXPECT_EQ(loaded->contents.nodes[0].node_id, 3);
  EXPECT_EQ(loaded->contents.nodes[0].bytes, "two");
  EXPECT_EQ(fs::path(loaded->path).filename(), "checkpoint-2000");
}

TEST(CheckpointStore, KeepsOnlyTheNewestRetainedFiles) {
  testing::TempDir dir;
  CheckpointStore store(dir.str(), 3);
  for (int64_t t = 1000; t <= 6000; t += 1000) store.write(contentsAt(t));
  auto files = store.list();
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].first, 6000);
  EXPECT_EQ(files[2].first, 4000);
  for (const auto& e : fs::directory_iterator(dir.path())) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  }
}

TEST(CheckpointStore, NoCheckpointIsNothing) {
  testing::TempDir dir;
  EXPECT_FALSE(CheckpointStore(dir.str(), 3).readLatest());
  EXPECT_FALSE(CheckpointStore(dir.str() + "/missing", 3).readLatest());
}

TEST(CheckpointStore, CorruptNewestFallsBackToThePreviousWithAWarning) {
  testing::TempDir dir;
  CheckpointStore store(dir.str(), 3);
  store.write(contentsAt(1000, "good"));
  std::string newest = store.write(contentsAt(2000, "newer"));
  std::string bytes = readAll(newest);
  bytes[bytes.size() - 2] ^= 0x40;  // one flipped bit in the data
  writeAll(newest, bytes);

  ScopedLogCapture logs(LogLevel::kWarn);
  auto loaded = store.readLatest();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->contents.meta.time_ms, 1000);
  EXPECT_EQ(loaded->contents.nodes[0].bytes, "good");
  EXPECT_TRUE(logs.contains("checkpoint-2000")) << ::testing::PrintToString(logs.lines());
  EXPECT_TRUE(logs.contains("checksum mismatch"));
}

TEST(CheckpointStore, TruncatedNewestFallsBackToThePrevious) {
  testing::TempDir dir;
  CheckpointStore store(dir.str(), 3);
  store.write(contentsAt(1000));
  std::string newest = store.write(contentsAt(2000, std::string(1000, 'x')));
  fs::resize_file(newest, fs::file_size(newest) / 2);  // a crash mid-copy, say
  ScopedLogCapture logs(LogLevel::kWarn);
  auto loaded = store.readLatest();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->contents.meta.time_ms, 1000);
  EXPECT_TRUE(logs.contains("truncated")) << ::testing::PrintToString(logs.lines());
}

TEST(CheckpointStore, NoReadableCheckpointNamesEveryFileAndItsProblem) {
  testing::TempDir dir;
  writeAll(dir.path() / "checkpoint-1000", "");
  writeAll(dir.path() / "checkpoint-2000", "PK\x03\x04 this is a zip file, not a checkpoint");
  CheckpointStore store(dir.str(), 3);
  std::string newer_version = CheckpointStore::serialize(contentsAt(3000));
  newer_version[8] = 9;  // format version 9
  writeAll(dir.path() / "checkpoint-3000", newer_version);
  ScopedLogCapture logs(LogLevel::kWarn);
  try {
    store.readLatest();
    FAIL() << "expected CheckpointError";
  } catch (const CheckpointError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("checkpoint-1000"), std::string::npos) << what;
    EXPECT_NE(what.find("too short"), std::string::npos) << what;
    EXPECT_NE(what.find("checkpoint-2000"), std::string::npos) << what;
    EXPECT_NE(what.find("not an Ember checkpoint"), std::string::npos) << what;
    EXPECT_NE(what.find("format version 9"), std::string::npos) << what;
  }
}

TEST(CheckpointStore, AFileWhoseNameLiesAboutItsTimeIsRefused) {
  testing::TempDir dir;
  writeAll(dir.path() / "checkpoint-5000", CheckpointStore::serialize(contentsAt(1000)));
  ScopedLogCapture logs(LogLevel::kWarn);
  EXPECT_THROW(CheckpointStore(dir.str(), 3).readLatest(), CheckpointError);
}

TEST(CheckpointStore, IgnoresOtherFilesInTheDirectory) {
  testing::TempDir dir;
  writeAll(dir.path() / "README", "notes");
  writeAll(dir.path() / "checkpoint-12ab", "x");
  writeAll(dir.path() / ".checkpoint-7000.tmp", "half written");
  CheckpointStore store(dir.str(), 3);
  store.write(contentsAt(1000));
  auto loaded = store.readLatest();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->contents.meta.time_ms, 1000);
}

TEST(CheckpointStore, AFullDiskIsAClearErrorAndKeepsTheLastGoodCheckpoint) {
  testing::TempDir dir;
  CheckpointStore store(dir.str(), 3);
  store.write(contentsAt(1000, "good"));
  std::string error;
  {
    // A file size limit fails writes as a full disk does (EFBIG instead of ENOSPC).
    testing::ScopedFileSizeLimit full_disk(4096);
    ASSERT_TRUE(full_disk.ok());
    try {
      store.write(contentsAt(2000, std::string(100000, 'x')));
    } catch (const IoError& e) {
      error = e.what();
    }
  }
  EXPECT_NE(error.find(".checkpoint-2000.tmp"), std::string::npos) << error;
  EXPECT_NE(error.find("File too large"), std::string::npos) << error;
  auto loaded = store.readLatest();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->contents.meta.time_ms, 1000);
  EXPECT_FALSE(fs::exists(dir.path() / ".checkpoint-2000.tmp"));
}

TEST(CheckpointStore, ADirectoryThatCannotBeCreatedNamesThePath) {
  testing::TempDir dir;
  writeAll(dir.path() / "file", "not a directory");
  CheckpointStore store(dir.str() + "/file/ckpt", 3);
  try {
    store.write(contentsAt(1000));
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/file"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ember::detail
