// textFileStream: which files of a directory each batch reads, and how.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <ember/ember.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "testing/harness.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// The sanitizers' runtime has it; GCC ships no header for it.
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace ember {
namespace {

namespace fs = std::filesystem;
using testing::BatchCollector;
using testing::TempDir;
using Strings = std::vector<std::string>;

void writeFile(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

/// Writes `name` in `staging`, then renames it into `dir`, as a producer should.
void moveIn(const TempDir& staging, const fs::path& dir, const std::string& name,
            const std::string& content) {
  writeFile(staging.path() / name, content);
  fs::rename(staging.path() / name, dir / name);
}

/// A text file stream over a directory, collected per batch.
struct FileStreamJob {
  explicit FileStreamJob(const fs::path& dir)
      : ssc(testing::testConf(), Seconds(1)),
        lines(ssc.textFileStream(dir.string())),
        out(lines),
        partitions(lines.glom()) {}
  void batch() { ssc.clock().advance(Seconds(1)); }

  StreamingContext ssc;
  DStream<std::string> lines;
  BatchCollector<std::string> out;
  BatchCollector<Strings> partitions;
};

TEST(TextFileStream, ReadsAFileMovedInAfterStartOnceAndIgnoresOlderFiles) {
  TempDir dir;
  TempDir staging;
  writeFile(dir.path() / "old.txt", "old 1\nold 2\n");
  FileStreamJob job(dir.path());
  job.ssc.start();
  job.batch();
  moveIn(staging, dir.path(), "new.txt", "new 1\nnew 2\n");
  job.batch();
  job.batch();
  job.batch();
  job.ssc.stop();
  EXPECT_EQ(job.out.batches(), (std::vector<Strings>{{}, {"new 1", "new 2"}, {}, {}}));
}

TEST(TextFileStream, AFileIsReadOnceByNameEvenWhenItChangesLater) {
  // `echo a > f; echo b >> f` counted `a` twice, and a touch read the file again (Spark
  // reads each file once by name).
  TempDir dir;
  TempDir staging;
  FileStreamJob job(dir.path());
  job.ssc.start();
  moveIn(staging, dir.path(), "f", "a\n");
  job.batch();
  {
    std::ofstream more(dir.path() / "f", std::ios::app);
    more << "b\n";
  }
  fs::last_write_time(dir.path() / "f", fs::file_time_type::clock::now() + std::chrono::seconds(5));
  job.batch();
  fs::last_write_time(dir.path() / "f",
                      fs::file_time_type::clock::now() + std::chrono::seconds(10));
  job.batch();
  // Deleted and created again: a new file.
  fs::remove(dir.path() / "f");
  job.batch();
  moveIn(staging, dir.path(), "f", "c\n");
  job.batch();
  job.ssc.stop();
  EXPECT_EQ(job.out.batches(), (std::vector<Strings>{{"a"}, {}, {}, {}, {"c"}}));
}

TEST(TextFileStream, WaitsUntilAFileBeingWrittenInPlaceIsClosed) {
  TempDir dir;
  FileStreamJob job(dir.path());
  job.ssc.start();
  std::string path = (dir.path() / "growing.txt").string();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << "cannot create " << path;
  std::string first = "a\nb";
  ASSERT_EQ(::write(fd, first.data(), first.size()), static_cast<ssize_t>(first.size()));
  job.batch();  // still open for writing: not read
  std::string rest = "c\nd\n";
  ASSERT_EQ(::write(fd, rest.data(), rest.size()), static_cast<ssize_t>(rest.size()));
  job.batch();  // still open
  ASSERT_EQ(::close(fd), 0);
  job.batch();  // closed: read whole
  job.batch();
  job.ssc.stop();
  EXPECT_EQ(job.out.batches(), (std::vector<Strings>{{}, {}, {"a", "bc", "d"}, {}}));
}

TEST(TextFileStream, IgnoresNamesStartingWithDotOrUnderscore) {
  TempDir dir;
  TempDir staging;
  FileStreamJob job(dir.path());
  job.ssc.start();
  moveIn(staging, dir.path(), ".hidden", "hidden\n");
  moveIn(staging, dir.path(), "_temporary", "temporary\n");
  moveIn(staging, dir.path(), "visible.txt", "visible\n");
  job.batch();
  job.batch();
  job.ssc.stop();
  EXPECT_EQ(job.out.batches(), (std::vector<Strings>{{"visible"}, {}}));
}

TEST(TextFileStream, DanglingSymlinkIsReportedAndReadOnceItsTargetExists) {
  ScopedLogCapture logs;
  TempDir dir;
  TempDir elsewhere;
  FileStreamJob job(dir.path());
  job.ssc.start();
  fs::create_symlink(elsewhere.path() / "target.txt", dir.path() / "link.txt");
  job.batch();
  job.batch();
  EXPECT_EQ(logs.count("link.txt"), 1u) << "expected one warning naming link.txt";
  writeFile(elsewhere.path() / "target.txt", "through the link\n");
  job.batch();
  job.batch();
  job.ssc.stop();
  EXPECT_EQ(job.out.batches(), (std::vector<Strings>{{}, {}, {"through the link"}, {}}));
}

TEST(TextFileStream, UnreadableFileIsReportedAndReadOnceReadable) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files whatever their mode";
  ScopedLogCapture logs;
  TempDir dir;
  TempDir staging;
  FileStreamJob job(dir.path());
  job.ssc.start();
  writeFile(staging.path() / "locked.txt", "secret\n");
  fs::permissions(staging.path() / "locked.txt", fs::perms::none);
  fs::rename(staging.path() / "locked.txt", dir.path() / "locked.txt");
  job.batch();
  job.batch();
  EXPECT_EQ(logs.count("locked.txt"), 1u) << "expected one warning naming locked.txt";
  fs::permissions(dir.path() / "locked.txt", fs::perms::owner_read);
  job.batch();
  job.batch();
  job.ssc.stop();
  EXPECT_EQ(job.out.batches(), (std::vector<Strings>{{}, {}, {"secret"}, {}}));
}

TEST(TextFileStream, MissingDirectoryIsReportedAndFilesArePickedUpOnceItExists) {
  ScopedLogCapture logs;
  TempDir parent;
  TempDir staging;
  fs::path dir = parent.path() / "later";
  FileStreamJob job(dir);
  job.ssc.start();
  job.batch();
  job.batch();
  EXPECT_EQ(logs.count("Cannot list directory '" + dir.string() + "'"), 1u);
  EXPECT_EQ(job.ssc.getState(), StreamingContextState::kActive);
  fs::create_directory(dir);
  moveIn(staging, dir, "first.txt", "hello\n");
  job.batch();
  job.batch();
  job.ssc.stop();
  EXPECT_EQ(job.out.batches(), (std::vector<Strings>{{}, {}, {"hello"}, {}}));
}

TEST(TextFileStream, SeveralFilesInOneBatchGiveOnePartitionEach) {
  TempDir dir;
  TempDir staging;
  FileStreamJob job(dir.path());
  job.ssc.start();
  moveIn(staging, dir.path(), "a.txt", "a1\na2\n");
  moveIn(staging, dir.path(), "b.txt", "b1\n");
  moveIn(staging, dir.path(), "c.txt", "c1\nc2\nc3\n");
  job.batch();
  job.ssc.stop();
  auto batches = job.partitions.batches();
  ASSERT_EQ(batches.size(), 1u);
  auto parts = batches[0];
  std::sort(parts.begin(), parts.end());
  EXPECT_EQ(parts, (std::vector<Strings>{{"a1", "a2"}, {"b1"}, {"c1", "c2", "c3"}}));
}

TEST(TextFileStream, HandlesCrlfLineEndings) {
  TempDir dir;
  TempDir staging;
  FileStreamJob job(dir.path());
  job.ssc.start();
  moveIn(staging, dir.path(), "dos.txt", "one\r\ntwo\r\n\r\nthree\rx\r\nlast\r");
  job.batch();
  job.ssc.stop();
  EXPECT_EQ(job.out.batches(), (std::vector<Strings>{{"one", "two", "", "three\rx", "last"}}));
}

TEST(TextFileStream, EmptyFileGivesNoRecords) {
  TempDir dir;
  TempDir staging;
  FileStreamJob job(dir.path());
  job.ssc.start();
  moveIn(staging, dir.path(), "empty.txt", "");
  job.batch();
  moveIn(staging, dir.path(), "one.txt", "only line");
  job.batch();
  job.ssc.stop();
  EXPECT_EQ(job.out.batches(), (std::vector<Strings>{{}, {"only line"}}));
}

TEST(TextFileStream, WriterOpeningAFileWhileItIsReadDoesNotKillTheProcess) {
  // The reader holds a Linux read lease while reading; a writer that opens the file then
  // breaks the lease, which must not deliver a fatal SIGIO to the engine.
  TempDir dir;
  TempDir staging;
  FileStreamJob job(dir.path());
  job.ssc.start();
  constexpr int kLines = 300000;
  std::string content;
  for (int i = 0; i < kLines; ++i) content += "line " + std::to_string(i) + " of a big file\n";
  moveIn(staging, dir.path(), "big.txt", content);
  std::string path = (dir.path() / "big.txt").string();
  std::atomic<bool> stop_opening{false};
  std::atomic<int> opens{0};
  std::thread opener([&] {
    while (!stop_opening) {
      int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd >= 0) ::close(fd);
      ++opens;
      // Mostly closed, so the reader can take its lease, but opened again while it reads.
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  job.batch();
  stop_opening = true;
  opener.join();
  job.batch();  // read now if the writer was in the way before
  job.batch();
  job.ssc.stop();
  size_t total = 0;
  for (const auto& b : job.out.batches()) total += b.size();
  EXPECT_EQ(total, static_cast<size_t>(kLines)) << "the file was not read exactly once";
  EXPECT_GT(opens.load(), 0);
}

/// Bytes allocated on the heap now (the sanitizers replace malloc: ask them then).
size_t heapBytesInUse() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return __sanitizer_get_current_allocated_bytes();
#else
  struct mallinfo2 info = ::mallinfo2();
  return info.uordblks + info.hblkhd;
#endif
}

TEST(TextFileStream, AFileCostsAboutItsSizeInMemoryNotAStringPerLine) {
  // A 20 MB file of short lines took 0.55 to 1 GB: every line became a string object (32
  // bytes at least) for the whole file before any task ran. Lines are cut a chunk at a time
  // in the task now.
  TempDir dir;
  TempDir staging;
  constexpr size_t kLines = 2'000'000;
  std::string content;
  content.reserve(kLines * 2);
  for (size_t i = 0; i < kLines; ++i) content += "a\n";
  const size_t file_bytes = content.size();
  std::atomic<size_t> peak{0};
  std::atomic<size_t> seen{0};
  StreamingContext ssc(testing::testConf(), Seconds(1));
  std::atomic<size_t> counted{0};
  ssc.textFileStream(dir.str())
      .map([&](const std::string& line) {
        if (seen.fetch_add(1, std::memory_order_relaxed) % 4096 == 0) {
          size_t now = heapBytesInUse();
          size_t before = peak.load();
          while (now > before && !peak.compare_exchange_weak(before, now)) {
          }
        }
        return line.size();
      })
      .foreachRDD([&](const RDD<size_t>& rdd) { counted += static_cast<size_t>(rdd.count()); });
  ssc.start();
  ssc.clock().advance(Seconds(1));
  moveIn(staging, dir.path(), "short-lines.txt", content);
  content = std::string();
  size_t baseline = heapBytesInUse();
  ssc.clock().advance(Seconds(1));
  ssc.stop();
  ASSERT_EQ(counted.load(), kLines);
  size_t grown = peak.load() > baseline ? peak.load() - baseline : 0;
  // The file's bytes, plus chunks and the engine's own: well under the 64 MB that 2 M string
  // objects alone take.
  EXPECT_LT(grown, 3 * file_bytes)
      << "the heap grew by " << grown << " bytes for a file of " << file_bytes;
}

TEST(TextFileStream, ViewsIntoLinesStayValidAcrossChunksAndWindows) {
  // Lines are cut into strings a chunk at a time and a chunk is reused once nothing holds
  // it: words that view into lines must still count right, in a batch and in a window.
  TempDir dir;
  TempDir staging;
  std::string content;
  std::map<std::string, int64_t> expected;
  for (int i = 0; i < 5000; ++i) {
    std::string line = "w" + std::to_string(i % 97) + " v" + std::to_string(i % 13) +
                       " a-longer-word-than-sso-" + std::to_string(i % 7);
    content += line + "\n";
    for (auto w : ember::split(line, ' ')) ++expected[std::string(w)];
  }
  StreamingContext ssc(testing::testConf(), Seconds(1));
  auto words = ssc.textFileStream(dir.str()).flatMap(
      [](const std::string& l) { return ember::split(l, ' '); });
  auto counts = words.map([](std::string_view w) { return std::pair(w, int64_t{1}); })
                    .reduceByKey(std::plus<int64_t>())
                    .map([](const std::pair<std::string_view, int64_t>& kv) {
                      return std::pair(std::string(kv.first), kv.second);
                    });
  BatchCollector<std::pair<std::string, int64_t>> per_batch(counts);
  BatchCollector<std::string> windowed(
      words.window(Seconds(2), Seconds(1)).map([](std::string_view w) { return std::string(w); }));
  ssc.start();
  moveIn(staging, dir.path(), "words.txt", content);
  ssc.clock().advance(Seconds(2));
  ssc.stop();
  auto batches = per_batch.batches();
  ASSERT_EQ(batches.size(), 2u);
  std::map<std::string, int64_t> got(batches[0].begin(), batches[0].end());
  EXPECT_EQ(got, expected);
  auto windows = windowed.batches();
  ASSERT_EQ(windows.size(), 2u);
  for (const auto& window : windows) {
    std::map<std::string, int64_t> in_window;
    for (const auto& w : window) ++in_window[w];
    EXPECT_EQ(in_window, expected);
  }
}

}  // namespace
}  // namespace ember
