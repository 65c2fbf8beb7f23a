// fileStream (path filter, newFilesOnly = false, glob patterns) and binaryRecordsStream,
// under the manual clock: which files each batch reads and how they are cut into records.

#include <gtest/gtest.h>

#include <algorithm>
#include <ember/ember.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "testing/harness.hpp"

namespace ember {
namespace {

namespace fs = std::filesystem;
using testing::BatchCollector;
using testing::TempDir;
using Strings = std::vector<std::string>;

/// Puts a file with `content` at `target`: written under `staging` first and renamed into
/// place (atomic, as producers of a file stream should do) when `staging` is given.
void putFile(const fs::path& target, const std::string& content, const TempDir* staging = nullptr) {
  fs::path written = staging ? staging->path() / target.filename() : target;
  std::ofstream(written, std::ios::binary) << content;
  ASSERT_EQ(fs::file_size(written), content.size()) << written;
  if (staging) fs::rename(written, target);
}

/// The same, always through `staging`.
void moveIn(const TempDir& staging, const fs::path& target, const std::string& content) {
  putFile(target, content, &staging);
}

struct Job {
  Job() : ssc(testing::testConf(), Seconds(1)) {}
  void batch() { ssc.clock().advance(Seconds(1)); }
  StreamingContext ssc;
};

TEST(FileStream, FilterChoosesFilesByPath) {
  TempDir dir, staging;
  Job job;
  auto lines =
      job.ssc.fileStream(dir.str(), [](const std::string& path) { return path.ends_with(".log"); });
  BatchCollector<std::string> out(lines);
  job.ssc.start();
  moveIn(staging, dir.path() / "a.log", "a1\na2\n");
  moveIn(staging, dir.path() / "b.txt", "b1\n");
  job.batch();
  moveIn(staging, dir.path() / "c.log", "c1\n");
  moveIn(staging, dir.path() / ".hidden.log", "h1\n");  // hidden names stay ignored
  job.batch();
  job.ssc.stop();
  EXPECT_EQ(out.sortedBatches(), (std::vector<Strings>{{"a1", "a2"}, {"c1"}}));
}

TEST(FileStream, FilterIsGivenTheFullPath) {
  TempDir dir, staging;
  Job job;
  auto paths = std::make_shared<std::vector<std::string>>();
  auto lines = job.ssc.fileStream(dir.str(), [paths](const std::string& path) {
    paths->push_back(path);
    return true;
  });
  BatchCollector<std::string> out(lines);
  job.ssc.start();
  moveIn(staging, dir.path() / "x.txt", "x\n");
  job.batch();
  job.ssc.stop();
  EXPECT_NE(std::find(paths->begin(), paths->end(), (dir.path() / "x.txt").string()), paths->end());
  EXPECT_EQ(out.batches(), (std::vector<Strings>{{"x"}}));
}

TEST(FileStream, NewFilesOnlyFalseReadsTheFilesPresentAtStartInTheFirstBatch) {
  TempDir dir, staging;
  putFile(dir.path() / "old1.txt", "o1\no2\n");
  putFile(dir.path() / "old2.txt", "o3\n");
  Job job;
  BatchCollector<std::string> out(job.ssc.fileStream(dir.str(), {}, false));
  job.ssc.start();
  job.batch();
  moveIn(staging, dir.path() / "new.txt", "n1\n");
  job.batch();
  job.batch();
  job.ssc.stop();
  EXPECT_EQ(out.sortedBatches(), (std::vector<Strings>{{"o1", "o2", "o3"}, {"n1"}, {}}));
}

TEST(FileStream, NewFilesOnlyTrueIgnoresThePresentFiles) {
  TempDir dir, staging;
  putFile(dir.path() / "old.txt", "o1\n");
  Job job;
  BatchCollector<std::string> out(job.ssc.fileStream(dir.str()));
  job.ssc.start();
  job.batch();
  moveIn(staging, dir.path() / "new.txt", "n1\n");
  job.batch();
  job.ssc.stop();
  EXPECT_EQ(out.sortedBatches(), (std::vector<Strings>{{}, {"n1"}}));
}

TEST(FileStream, GlobPatternWatchesEveryMatchingDirectory) {
  TempDir root, staging;
  fs::create_directories(root.path() / "2024-01" / "in");
  fs::create_directories(root.path() / "2024-02" / "in");
  fs::create_directories(root.path() / "other" / "in");
  putFile(root.path() / "2024-01" / "in" / "before.txt", "before\n");  // present at start
  Job job;
  BatchCollector<std::string> out(job.ssc.textFileStream((root.path() / "2024-*" / "in").string()));
  job.ssc.start();
  moveIn(staging, root.path() / "2024-01" / "in" / "a.txt", "jan\n");
  moveIn(staging, root.path() / "2024-02" / "in" / "a.txt", "feb\n");  // same name, other dir
  moveIn(staging, root.path() / "other" / "in" / "a.txt", "other\n");  // does not match
  job.batch();
  // A directory that matches the pattern only after the start: its files are new.
  fs::create_directories(root.path() / "2024-03" / "in");
  moveIn(staging, root.path() / "2024-03" / "in" / "b.txt", "mar\n");
  job.batch();
  job.batch();
  job.ssc.stop();
  EXPECT_EQ(out.sortedBatches(), (std::vector<Strings>{{"feb", "jan"}, {"mar"}, {}}));
}

TEST(FileStream, GlobWithNoMatchYetWaitsForOne) {
  TempDir root, staging;
  Job job;
  BatchCollector<std::string> out(job.ssc.fileStream((root.path() / "part-?").string(), {}, false));
  job.ssc.start();
  job.batch();
  fs::create_directories(root.path() / "part-1");
  moveIn(staging, root.path() / "part-1" / "f", "one\n");
  job.batch();
  job.ssc.stop();
  EXPECT_EQ(out.batches(), (std::vector<Strings>{{}, {"one"}}));
}

TEST(FileStream, GlobStreamRecoveredFromACheckpointReadsEachFileOnce) {
  TempDir root, staging, checkpoints;
  std::string pattern = (root.path() / "day-*").string();
  std::unique_ptr<BatchCollector<std::string>> out;
  auto create = [&] {
    auto ssc = std::make_unique<StreamingContext>(testing::testConf(), Seconds(1));
    ssc->checkpoint(checkpoints.str());
    out = std::make_unique<BatchCollector<std::string>>(ssc->fileStream(pattern, {}, false));
    return ssc;
  };
  fs::create_directories(root.path() / "day-1");
  putFile(root.path() / "day-1" / "present", "p\n");  // read in the first batch
  {
    auto ssc = StreamingContext::getOrCreate(checkpoints.str(), create);
    ASSERT_FALSE(ssc->recoveredFrom());
    ssc->start();
    ssc->clock().advance(Seconds(1));
    moveIn(staging, root.path() / "day-1" / "a", "a\n");
    ssc->clock().advance(Seconds(1));
    ssc->clock().advance(Seconds(1));
    ssc->clock().advance(Seconds(1));
    ssc->stop();
    EXPECT_EQ(out->sortedBatches(), (std::vector<Strings>{{"p"}, {"a"}, {}, {}}));
  }
  // While the job is down: a new directory that matches, and a file in an old one.
  fs::create_directories(root.path() / "day-2");
  moveIn(staging, root.path() / "day-2" / "b", "b\n");
  moveIn(staging, root.path() / "day-1" / "c", "c\n");
  auto ssc = StreamingContext::getOrCreate(checkpoints.str(), create);
  ASSERT_TRUE(ssc->recoveredFrom());
  ssc->start();
  ssc->clock().advance(Seconds(2));
  ssc->stop();
  // Files read before the checkpoint are not read again (not even with newFilesOnly false);
  // the two new ones are read once.
  Strings all;
  for (const auto& batch : out->batches()) all.insert(all.end(), batch.begin(), batch.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (Strings{"b", "c"}));
}

TEST(BinaryRecordsStream, CutsEachFileIntoFixedLengthRecords) {
  TempDir dir, staging;
  Job job;
  BatchCollector<std::string> out(job.ssc.binaryRecordsStream(dir.str(), 4));
  job.ssc.start();
  std::string bytes("abcd\0\1\2\3wxyz", 12);  // binary bytes, a NUL and '\n' kept as they are
  bytes[9] = '\n';
  moveIn(staging, dir.path() / "r1.bin", bytes);
  job.batch();
  moveIn(staging, dir.path() / "empty.bin", "");
  job.batch();
  job.ssc.stop();
  auto batches = out.batches();
  ASSERT_EQ(batches.size(), 2u);
  ASSERT_EQ(batches[0].size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(batches[0][i], bytes.substr(i * 4, 4)) << i;
  EXPECT_TRUE(batches[1].empty());
}

TEST(BinaryRecordsStream, AFileThatIsNotWholeRecordsFailsTheBatchNamingIt) {
  TempDir dir, staging;
  Job job;
  BatchCollector<std::string> out(job.ssc.binaryRecordsStream(dir.str(), 10));
  job.ssc.start();
  moveIn(staging, dir.path() / "bad.bin", std::string(25, 'x'));
  job.batch();
  try {
    job.ssc.awaitTerminationOrTimeout(30000);
    FAIL() << "the batch with a 25-byte file of 10-byte records did not fail";
  } catch (const BatchFailedError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find((dir.path() / "bad.bin").string()), std::string::npos) << what;
    EXPECT_NE(what.find("25 bytes"), std::string::npos) << what;
    EXPECT_NE(what.find("record length 10"), std::string::npos) << what;
  }
  EXPECT_TRUE(out.batches().empty());
}

TEST(BinaryRecordsStream, RejectsARecordLengthBelowOne) {
  TempDir dir;
  Job job;
  EXPECT_THROW(job.ssc.binaryRecordsStream(dir.str(), 0), UsageError);
}

}  // namespace
}  // namespace ember
