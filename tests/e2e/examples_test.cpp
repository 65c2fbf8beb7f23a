// End-to-end tests of the example programs: each runs as a real process against real
// sockets on 127.0.0.1 and real directories, and what it prints is compared with results
// computed here, independently of the engine.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "testing/harness.hpp"
#include "testing/process.hpp"

namespace ember::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

/// Generous bounds: the machine may be busy and the build may be Debug. The tests never
/// assert on how long something took; these only turn a hang into a failure.
constexpr milliseconds kOutputTimeout = seconds(45);
constexpr milliseconds kExitTimeout = seconds(20);

std::string examplePath(std::string_view name) {
  return std::string(EMBER_BUILD_DIR) + "/examples/" + std::string(name);
}

/// The last `max` characters of `text`.
std::string tail(const std::string& text, size_t max = 3000) {
  return text.size() <= max ? text : "..." + text.substr(text.size() - max);
}

/// What a failure message shows about a process.
std::string describe(const Process& p) {
  return "command: " + p.commandLine() + "\n--- stdout ---\n" + tail(p.stdoutText()) +
         "\n--- stderr ---\n" + tail(p.stderrText());
}

using Counts = std::map<std::string, int64_t>;

/// Word counts of `lines` split on single spaces, as the examples split them.
Counts countWords(const std::vector<std::string>& lines) {
  Counts counts;
  for (const auto& line : lines) {
    size_t start = 0;
    while (start <= line.size()) {
      size_t space = line.find(' ', start);
      if (space == std::string::npos) {
        space = line.size();
      }
      ++counts[line.substr(start, space - start)];
      start = space + 1;
    }
  }
  return counts;
}

/// The per-key sums of the "(key,count)" elements of every printed batch. An element that
/// is not such a pair is counted under "<unparsed: ...>" so that comparisons fail on it.
Counts sumPrintedCounts(const std::vector<PrintedBatch>& batches) {
  Counts sums;
  for (const auto& batch : batches) {
    for (const auto& element : batch.elements) {
      std::string key;
      std::string value;
      int64_t n = 0;
      try {
        size_t used = 0;
        if (parsePair(element, &key, &value)) {
          n = std::stoll(value, &used);
        }
        if (used == 0 || used != value.size()) {
          ++sums["<unparsed: " + element + ">"];
          continue;
        }
      } catch (const std::exception&) {
        ++sums["<unparsed: " + element + ">"];
        continue;
      }
      sums[key] += n;
    }
  }
  return sums;
}

Counts sumPrintedCounts(std::string_view text) {
  return sumPrintedCounts(parsePrintedBatches(text));
}

std::string toString(const Counts& counts) {
  std::string s = "{";
  for (const auto& [k, v] : counts) {
    s += " (" + k + "," + std::to_string(v) + ")";
  }
  return s + " }";
}

/// Deterministic lines over a vocabulary of 10 words, so that every word of a batch shows
/// (`print()` shows 10 elements).
std::vector<std::string> makeLines(int first, int count) {
  static const std::vector<std::string> kWords = {"apple", "banana", "cherry", "date", "elder",
                                                  "fig",   "grape",  "hazel",  "iris", "jade"};
  std::vector<std::string> lines;
  for (int i = first; i < first + count; ++i) {
    std::string line;
    for (int j = 0; j <= i % 6; ++j) {
      if (j > 0) {
        line += ' ';
      }
      line += kWords[static_cast<size_t>((i * 7 + j * 3) % 10)];
    }
    lines.push_back(line);
  }
  return lines;
}

std::string joinLines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) {
    text += line + "\n";
  }
  return text;
}

Counts operator+(Counts a, const Counts& b) {
  for (const auto& [k, v] : b) {
    a[k] += v;
  }
  return a;
}

/// Waits until the printed counts summed over all batches equal `expected`.
bool waitForTotals(Process& p, const Counts& expected) {
  return p.waitForOutput(
      [&](const std::string& out, const std::string&) { return sumPrintedCounts(out) == expected; },
      kOutputTimeout);
}

/// Stops `p` with `signo` and checks that it exits with 0 and logged no error.
void expectCleanExitOn(Process& p, int signo) {
  p.signal(signo);
  EXPECT_EQ(p.wait(kExitTimeout), 0) << describe(p);
  EXPECT_EQ(p.stderrText().find("ERROR"), std::string::npos) << describe(p);
}

// ---- network_word_count and custom_receiver -----------------------------------------------

struct SocketWordCountCase {
  std::string example;
  std::vector<std::string> extra_args;
  std::string label;
};

class SocketWordCountExample : public ::testing::TestWithParam<SocketWordCountCase> {};

TEST_P(SocketWordCountExample, CountsEveryWordTheServerSends) {
  const auto& param = GetParam();
  TcpServer server;
  std::vector<std::string> args = {"127.0.0.1", std::to_string(server.port())};
  args.insert(args.end(), param.extra_args.begin(), param.extra_args.end());
  Process p(examplePath(param.example), args);
  ASSERT_TRUE(server.waitForClients(1, kOutputTimeout)) << describe(p);

  // Two rounds, the second sent once the first has been counted, so that the totals span
  // several batches.
  auto first = makeLines(0, 40);
  auto second = makeLines(40, 25);
  ASSERT_EQ(server.sendToAll(joinLines(first)), 1u);
  Counts expected = countWords(first);
  ASSERT_TRUE(waitForTotals(p, expected)) << "expected " << toString(expected) << "\nprinted "
                                          << toString(sumPrintedCounts(p.stdoutText())) << "\n"
                                          << describe(p);
  ASSERT_EQ(server.sendToAll(joinLines(second)), 1u);
  expected = expected + countWords(second);
  ASSERT_TRUE(waitForTotals(p, expected)) << "expected " << toString(expected) << "\nprinted "
                                          << toString(sumPrintedCounts(p.stdoutText())) << "\n"
                                          << describe(p);

  expectCleanExitOn(p, SIGTERM);
  auto batches = parsePrintedBatches(p.stdoutText());
  EXPECT_EQ(sumPrintedCounts(batches), expected) << describe(p);
  for (const auto& batch : batches) {
    EXPECT_FALSE(batch.truncated) << "batch " << batch.time_ms;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Examples, SocketWordCountExample,
    ::testing::Values(SocketWordCountCase{"network_word_count", {}, "NetworkWordCount"},
                      SocketWordCountCase{"network_word_count",
                                          {"--conf", "ember.master=local[2]", "--conf",
                                           "ember.streaming.blockInterval=100ms"},
                                          "NetworkWordCountWithConf"},
                      SocketWordCountCase{"custom_receiver", {}, "CustomReceiver"},
                      SocketWordCountCase{"custom_receiver",
                                          {"--conf", "ember.master=local[2]", "--conf",
                                           "ember.streaming.blockInterval=100ms"},
                                          "CustomReceiverWithConf"}),
    [](const auto& param_info) { return param_info.param.label; });

// ---- stateful_network_word_count ----------------------------------------------------------

/// The largest printed value of every key: the cumulative count, for a running count.
Counts maxPrintedCounts(std::string_view text) {
  Counts latest;
  for (const auto& batch : parsePrintedBatches(text)) {
    for (const auto& element : batch.elements) {
      std::string key;
      std::string value;
      if (!parsePair(element, &key, &value)) {
        latest["<unparsed: " + element + ">"] = 1;
        continue;
      }
      int64_t n = std::stoll(value);
      latest[key] = std::max(latest[key], n);
    }
  }
  return latest;
}

TEST(StatefulNetworkWordCountExample, KeepsARunningCountFromTheInitialState) {
  TcpServer server;
  Process p(examplePath("stateful_network_word_count"),
            {"127.0.0.1", std::to_string(server.port())});
  ASSERT_TRUE(server.waitForClients(1, kOutputTimeout)) << describe(p);

  // One line at a time, each word once per line, so that every batch prints all it has;
  // the initial state counts "hello" and "world" once already.
  const std::vector<std::string> rounds = {"hello apple banana", "apple hello cherry",
                                           "world apple", "banana date hello"};
  Counts expected;
  for (const auto& round : rounds) {
    ASSERT_EQ(server.sendToAll(round + "\n"), 1u);
    for (const auto& [word, n] : countWords({round})) {
      if (expected[word] == 0 && (word == "hello" || word == "world")) {
        expected[word] = 1;
      }
      expected[word] += n;
    }
    ASSERT_TRUE(
        p.waitForOutput([&](const std::string& out,
                            const std::string&) { return maxPrintedCounts(out) == expected; },
                        kOutputTimeout))
        << "after '" << round << "' expected " << toString(expected) << "\nprinted "
        << toString(maxPrintedCounts(p.stdoutText())) << "\n"
        << describe(p);
  }
  expectCleanExitOn(p, SIGTERM);
  EXPECT_EQ(maxPrintedCounts(p.stdoutText()), expected) << describe(p);
}

// ---- recoverable_network_word_count -------------------------------------------------------

/// Batch times (ms) and counts of the "Counts at time <ms> ms [(w,n), ...]" lines of `text`.
std::vector<std::pair<int64_t, Counts>> parseCountLines(const std::string& text) {
  std::vector<std::pair<int64_t, Counts>> out;
  std::istringstream in(text);
  std::string line;
  const std::string prefix = "Counts at time ";
  while (std::getline(in, line)) {
    if (!line.starts_with(prefix)) continue;
    size_t ms_end = line.find(" ms [", prefix.size());
    if (ms_end == std::string::npos) continue;
    Counts counts;
    std::string list = line.substr(ms_end + 5, line.size() - ms_end - 6);
    size_t pos = 0;
    while ((pos = list.find('(', pos)) != std::string::npos) {
      size_t close = list.find(')', pos);
      std::string key, value;
      if (close == std::string::npos || !parsePair(list.substr(pos, close - pos + 1), &key, &value))
        break;
      counts[key] += std::stoll(value);
      pos = close + 1;
    }
    out.emplace_back(std::stoll(line.substr(prefix.size(), ms_end - prefix.size())), counts);
  }
  return out;
}

TEST(RecoverableNetworkWordCountExample, RecoversAfterKillNineWithNoBatchMissing) {
  TempDir work;
  const std::string checkpoint = work.str() + "/ckpt", output = work.str() + "/out.txt";
  TcpServer server;
  std::vector<std::string> args = {"127.0.0.1", std::to_string(server.port()), checkpoint, output};
  Counts sent;
  {
    Process p(examplePath("recoverable_network_word_count"), args);
    ASSERT_TRUE(p.waitForStdout("Creating new context", kOutputTimeout)) << describe(p);
    ASSERT_TRUE(server.waitForClients(1, kOutputTimeout)) << describe(p);
    ASSERT_EQ(server.sendToAll("apple a banana\n"), 1u);
    ASSERT_TRUE(p.waitForStdout("(apple,1)", kOutputTimeout)) << describe(p);
    EXPECT_TRUE(p.waitForStdout("Dropped 1 word(s) totally", kOutputTimeout)) << describe(p);
    ASSERT_TRUE(p.waitForOutput(
        [](const std::string& out, const std::string&) { return parseCountLines(out).size() >= 3; },
        kOutputTimeout))
        << describe(p);
    p.signal(SIGKILL);
    p.wait(kExitTimeout);
  }
  Process p(examplePath("recoverable_network_word_count"), args);
  ASSERT_TRUE(p.waitForStdout("Recovered: batches up to", kOutputTimeout)) << describe(p);
  EXPECT_EQ(p.stdoutText().find("Creating new context"), std::string::npos) << describe(p);
  ASSERT_TRUE(server.waitForClients(2, kOutputTimeout)) << describe(p);
  // "b" and "c" are in the broadcast exclude list: 3 words dropped. The accumulator is not
  // in the checkpoint (as in Spark), so the total starts again from 0 after the restart.
  ASSERT_GE(server.sendToAll("cherry apple b c c\n"), 1u);  // the killed client may count
  ASSERT_TRUE(p.waitForStdout("(cherry,1)", kOutputTimeout)) << describe(p);
  EXPECT_TRUE(p.waitForStdout("Dropped 3 word(s) totally", kOutputTimeout)) << describe(p);
  EXPECT_EQ(p.stdoutText().find("Dropped 4 word(s) totally"), std::string::npos) << describe(p);
  expectCleanExitOn(p, SIGTERM);

  // The file holds both runs: every batch time from the first to the last at least once
  // (batches after the last checkpoint run again after the restart), and every word sent.
  std::ifstream in(output);
  auto lines = parseCountLines(std::string(std::istreambuf_iterator<char>(in), {}));
  ASSERT_GE(lines.size(), 4u);
  std::set<int64_t> times;
  Counts seen;
  for (const auto& [t, counts] : lines) {
    times.insert(t);
    for (const auto& [w, n] : counts) seen[w] = std::max(seen[w], n);
  }
  for (int64_t t = *times.begin(); t <= *times.rbegin(); t += 1000) {
    EXPECT_TRUE(times.count(t)) << "batch " << t << " ms is missing from " << output;
  }
  EXPECT_EQ(seen, (Counts{{"apple", 1}, {"banana", 1}, {"cherry", 1}}));
}

// ---- hdfs_word_count ----------------------------------------------------------------------

/// Writes `lines` to a file in `staging`, then renames it into `dir` (atomic, as a file
/// stream expects).
void moveFileIn(const fs::path& staging, const fs::path& dir, const std::string& name,
                const std::vector<std::string>& lines) {
  fs::path tmp = staging / name;
  {
    std::ofstream out(tmp);
    out << joinLines(lines);
  }
  fs::rename(tmp, dir / name);
}

TEST(HdfsWordCountExample, CountsFilesMovedInAfterStartButNotEarlierOnes) {
  TempDir watched;
  TempDir staging;
  {
    std::ofstream stale(watched.path() / "before-start.txt");
    stale << "stale stale words\n";
  }
  Process p(examplePath("hdfs_word_count"), {watched.str()});
  ASSERT_TRUE(p.waitForStderr("StreamingContext started", kOutputTimeout)) << describe(p);

  auto first = makeLines(0, 30);
  auto second = makeLines(30, 17);
  moveFileIn(staging.path(), watched.path(), "first.txt", first);
  Counts expected = countWords(first);
  ASSERT_TRUE(waitForTotals(p, expected)) << "expected " << toString(expected) << "\nprinted "
                                          << toString(sumPrintedCounts(p.stdoutText())) << "\n"
                                          << describe(p);
  moveFileIn(staging.path(), watched.path(), "second.txt", second);
  expected = expected + countWords(second);
  ASSERT_TRUE(waitForTotals(p, expected)) << "expected " << toString(expected) << "\nprinted "
                                          << toString(sumPrintedCounts(p.stdoutText())) << "\n"
                                          << describe(p);

  expectCleanExitOn(p, SIGTERM);
  EXPECT_EQ(sumPrintedCounts(p.stdoutText()), expected) << describe(p);
}

// ---- queue_stream -------------------------------------------------------------------------

TEST(QueueStreamExample, PrintsOneHundredOfEachResidueInABatch) {
  Process p(examplePath("queue_stream"), {});
  ASSERT_TRUE(p.waitForOutput(
      [](const std::string& out, const std::string&) {
        // A batch before the first RDD was queued prints nothing but its header.
        for (const auto& batch : parsePrintedBatches(out)) {
          if (!batch.elements.empty()) {
            return true;
          }
        }
        return false;
      },
      kOutputTimeout))
      << describe(p);
  expectCleanExitOn(p, SIGTERM);

  auto batches = parsePrintedBatches(p.stdoutText());
  auto first = std::find_if(batches.begin(), batches.end(),
                            [](const PrintedBatch& b) { return !b.elements.empty(); });
  ASSERT_NE(first, batches.end());
  std::set<std::string> expected;
  for (int k = 0; k < 10; ++k) {
    expected.insert("(" + std::to_string(k) + ",100)");
  }
  EXPECT_EQ(std::set<std::string>(first->elements.begin(), first->elements.end()), expected)
      << describe(p);
  EXPECT_EQ(first->elements.size(), 10u);
  EXPECT_FALSE(first->truncated);
}

// ---- raw_network_grep with raw_text_sender ------------------------------------------------

/// Starts raw_text_sender on a free port; retries with another port if that one was taken
/// in the meantime. Returns the port, and the size of one copy of the file as sent.
std::unique_ptr<Process> startSender(const std::string& file, int64_t block_size,
                                     int64_t bytes_per_sec, int* port, int64_t* frame_bytes) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    *port = freePort();
    auto sender = std::make_unique<Process>(
        examplePath("raw_text_sender"),
        std::vector<std::string>{std::to_string(*port), file, std::to_string(block_size),
                                 std::to_string(bytes_per_sec)});
    const std::string kListening = "Listening on 127.0.0.1:" + std::to_string(*port) + " with ";
    if (sender->waitForStderr(" bytes of blocks", kOutputTimeout)) {
      std::string err = sender->stderrText();
      size_t at = err.find(kListening);
      if (at == std::string::npos) {
        ADD_FAILURE() << describe(*sender);
        return nullptr;
      }
      *frame_bytes = std::stoll(err.substr(at + kListening.size()));
      return sender;
    }
    // Most likely the port was taken: the sender has exited with an error.
    sender->wait(kExitTimeout);
  }
  ADD_FAILURE() << "raw_text_sender did not start";
  return nullptr;
}

std::vector<int64_t> parseGrepCounts(const std::string& out) {
  std::vector<int64_t> counts;
  static constexpr std::string_view kPrefix = "Grep count: ";
  size_t at = 0;
  while ((at = out.find(kPrefix, at)) != std::string::npos) {
    size_t nl = out.find('\n', at);
    if (nl == std::string::npos) {
      break;
    }
    counts.push_back(std::stoll(out.substr(at + kPrefix.size(), nl - at - kPrefix.size())));
    at = nl;
  }
  return counts;
}

TEST(RawNetworkGrepExample, CountsWholeCopiesOfTheSentFile) {
  TempDir dir;
  // Lines with "the" anywhere (also inside "other", "theme"); "The" does not match.
  std::vector<std::string> lines;
  for (int i = 0; i < 120; ++i) {
    switch (i % 5) {
      case 0:
        lines.push_back("the quick brown fox " + std::to_string(i));
        break;
      case 1:
        lines.push_back("The capital does not match " + std::to_string(i));
        break;
      case 2:
        lines.push_back("an other line " + std::to_string(i));
        break;
      case 3:
        lines.push_back("no match here " + std::to_string(i));
        break;
      default:
        lines.push_back(i % 2 == 0 ? "a theme" : "plain words");
        break;
    }
  }
  int64_t per_copy = 0;
  for (const auto& line : lines) {
    per_copy += line.find("the") != std::string::npos ? 1 : 0;
  }
  ASSERT_GT(per_copy, 0);
  fs::path file = dir.path() / "text.txt";
  {
    std::ofstream out(file);
    out << joinLines(lines);
  }

  // One block holds the whole file (the block size is larger than the file), so every batch
  // receives whole copies and every count is a multiple of `per_copy`.
  constexpr int64_t kBlockSize = 1 << 20;
  constexpr int64_t kBytesPerSec = 20000;
  int port = 0;
  int64_t frame_bytes = 0;
  auto started = std::chrono::steady_clock::now();
  auto sender = startSender(file.string(), kBlockSize, kBytesPerSec, &port, &frame_bytes);
  ASSERT_NE(sender, nullptr);
  ASSERT_GT(frame_bytes, 0);

  Process grep(examplePath("raw_network_grep"), {"1", "127.0.0.1", std::to_string(port), "500"});
  constexpr int64_t kCopies = 3;
  bool enough = grep.waitForOutput(
      [&](const std::string& out, const std::string&) {
        int64_t total = 0;
        for (int64_t c : parseGrepCounts(out)) {
          total += c;
        }
        return total >= kCopies * per_copy;
      },
      kOutputTimeout);
  double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_TRUE(enough) << describe(grep) << "\n" << describe(*sender);
  expectCleanExitOn(grep, SIGTERM);
  sender->signal(SIGTERM);
  EXPECT_EQ(sender->wait(kExitTimeout), 128 + SIGTERM) << describe(*sender);

  auto counts = parseGrepCounts(grep.stdoutText());
  ASSERT_FALSE(counts.empty()) << describe(grep);
  int64_t total = 0;
  for (int64_t c : counts) {
    EXPECT_EQ(c % per_copy, 0) << "count " << c << " is not a whole number of copies of "
                               << per_copy;
    total += c;
  }
  EXPECT_GE(total, kCopies * per_copy);
  // The sender sends at most `kBytesPerSec` after a first chunk of at most one copy, and it
  // started no earlier than `started`: an upper bound on the copies that can have arrived.
  double max_copies =
      1 + elapsed_s * static_cast<double>(kBytesPerSec) / static_cast<double>(frame_bytes);
  EXPECT_LE(static_cast<double>(total / per_copy), max_copies + 1)
      << "more data counted than the sender's rate allows";
}

// ---- demo_word_count ----------------------------------------------------------------------

TEST(DemoWordCountExample, PrintsTheTopTenWordsOfEachOneSecondBatch) {
  Process p(examplePath("demo_word_count"), {});
  ASSERT_TRUE(
      p.waitForOutput([](const std::string& out,
                         const std::string&) { return parsePrintedBatches(out).size() >= 3; },
                      kOutputTimeout))
      << describe(p);
  expectCleanExitOn(p, SIGINT);

  auto batches = parsePrintedBatches(p.stdoutText());
  ASSERT_GE(batches.size(), 3u);
  for (size_t i = 0; i < batches.size(); ++i) {
    const auto& batch = batches[i];
    if (i > 0) {
      EXPECT_EQ(batch.time_ms - batches[i - 1].time_ms, 1000);
    }
    EXPECT_EQ(batch.time_ms % 1000, 0);
    ASSERT_EQ(batch.elements.size(), 10u) << describe(p);
    EXPECT_TRUE(batch.truncated);
    int64_t previous = INT64_MAX;
    for (const auto& element : batch.elements) {
      std::string word;
      std::string count;
      ASSERT_TRUE(parsePair(element, &word, &count)) << element;
      EXPECT_FALSE(word.empty());
      int64_t n = std::stoll(count);
      EXPECT_GT(n, 0);
      EXPECT_LE(n, previous) << "not sorted by count: " << element;
      previous = n;
    }
  }
}

// ---- windowed_top_words -------------------------------------------------------------------

TEST(WindowedTopWordsExample, PrintsTheFiveMostFrequentWordsEveryTenSeconds) {
  static constexpr std::string_view kPrefix = "Top words of the 60 s before ";
  Process p(examplePath("windowed_top_words"), {"2000"});
  auto complete_lines = [](const std::string& out) {
    std::vector<std::string> lines;
    size_t at = 0;
    while ((at = out.find(kPrefix, at)) != std::string::npos) {
      size_t nl = out.find('\n', at);
      if (nl == std::string::npos) {
        break;
      }
      lines.push_back(out.substr(at + kPrefix.size(), nl - at - kPrefix.size()));
      at = nl;
    }
    return lines;
  };
  ASSERT_TRUE(p.waitForOutput(
      [&](const std::string& out, const std::string&) { return !complete_lines(out).empty(); },
      kOutputTimeout))
      << describe(p);
  expectCleanExitOn(p, SIGINT);

  // "<ms> ms: w1=n1 w2=n2 w3=n3 w4=n4 w5=n5", most frequent first.
  std::string line = complete_lines(p.stdoutText()).front();
  size_t colon = line.find(" ms:");
  ASSERT_NE(colon, std::string::npos) << line;
  // A batch time (slides are counted from the start, not from the epoch).
  EXPECT_EQ(std::stoll(line.substr(0, colon)) % 1000, 0) << line;
  std::vector<std::pair<std::string, int64_t>> top;
  size_t at = colon + 4;
  while (at < line.size()) {
    ASSERT_EQ(line[at], ' ') << line;
    size_t end = line.find(' ', at + 1);
    std::string item =
        line.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
    size_t eq = item.rfind('=');
    ASSERT_NE(eq, std::string::npos) << line;
    top.emplace_back(item.substr(0, eq), std::stoll(item.substr(eq + 1)));
    at = end == std::string::npos ? line.size() : end;
  }
  ASSERT_EQ(top.size(), 5u) << line;
  std::set<std::string> words;
  for (size_t i = 0; i < top.size(); ++i) {
    EXPECT_FALSE(top[i].first.empty()) << line;
    EXPECT_GT(top[i].second, 0) << line;
    if (i > 0) {
      EXPECT_LE(top[i].second, top[i - 1].second) << "not sorted by count: " << line;
    }
    words.insert(top[i].first);
  }
  EXPECT_EQ(words.size(), 5u) << "a word shows twice: " << line;
}

// ---- direct_kafka_word_count ----------------------------------------------------------------

TEST(DirectKafkaWordCountExample, CountsTheWordsKcatWritesToTheMockCluster) {
  if (std::system("command -v kcat > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "kcat is not installed (Debian package kcat; scripts/setup-deps.sh)";
  }
  Process mock(std::string(EMBER_BUILD_DIR) + "/tools/ember-kafka-mock",
               {"--topic", "words", "--partitions", "2"});
  ASSERT_TRUE(mock.waitForStdout("\n", kOutputTimeout)) << describe(mock);
  std::string out = mock.stdoutText();
  std::string brokers = out.substr(0, out.find('\n'));
  Process p(examplePath("direct_kafka_word_count"), {brokers, "e2e-group", "words"});
  // The stream starts at the end of the topic: write once its first batch has run.
  ASSERT_TRUE(p.waitForStdout("Time: ", kOutputTimeout)) << describe(p);

  auto lines = makeLines(0, 30);
  std::string kcat = "kcat -b " + brokers + " -P -t words -X message.timeout.ms=10000";
  FILE* in = ::popen(kcat.c_str(), "w");
  ASSERT_NE(in, nullptr);
  std::string text = joinLines(lines);
  std::fwrite(text.data(), 1, text.size(), in);
  ASSERT_EQ(::pclose(in), 0) << kcat;
  Counts expected = countWords(lines);
  ASSERT_TRUE(waitForTotals(p, expected)) << "expected " << toString(expected) << "\nprinted "
                                          << toString(sumPrintedCounts(p.stdoutText())) << "\n"
                                          << describe(p);
  expectCleanExitOn(p, SIGTERM);
  mock.signal(SIGTERM);
  EXPECT_EQ(mock.wait(kExitTimeout), 0) << describe(mock);
}

// ---- command lines ------------------------------------------------------------------------

struct BadCommandLine {
  std::string example;
  std::vector<std::string> args;
  std::string label;
};

class ExampleCommandLine : public ::testing::TestWithParam<BadCommandLine> {};

TEST_P(ExampleCommandLine, PrintsUsageAndExitsWithOne) {
  const auto& param = GetParam();
  Process p(examplePath(param.example), param.args);
  EXPECT_EQ(p.wait(kExitTimeout), 1) << describe(p);
  EXPECT_NE(p.stderrText().find("Usage: " + param.example + " "), std::string::npos) << describe(p);
  EXPECT_EQ(p.stdoutText(), "");
}

INSTANTIATE_TEST_SUITE_P(
    Examples, ExampleCommandLine,
    ::testing::Values(
        BadCommandLine{"network_word_count", {}, "NetworkWordCountNoArgs"},
        BadCommandLine{"network_word_count", {"127.0.0.1"}, "NetworkWordCountOneArg"},
        BadCommandLine{"network_word_count", {"127.0.0.1", "1", "2"}, "NetworkWordCountThreeArgs"},
        BadCommandLine{"network_word_count", {"127.0.0.1", "http"}, "NetworkWordCountBadPort"},
        BadCommandLine{
            "network_word_count", {"127.0.0.1", "70000"}, "NetworkWordCountPortOutOfRange"},
        BadCommandLine{"custom_receiver", {}, "CustomReceiverNoArgs"},
        BadCommandLine{"custom_receiver", {"127.0.0.1"}, "CustomReceiverOneArg"},
        BadCommandLine{"custom_receiver", {"127.0.0.1", "99x"}, "CustomReceiverBadPort"},
        BadCommandLine{"hdfs_word_count", {}, "HdfsWordCountNoArgs"},
        BadCommandLine{"hdfs_word_count", {"a", "b"}, "HdfsWordCountTwoArgs"},
        BadCommandLine{"queue_stream", {"extra"}, "QueueStreamOneArg"},
        BadCommandLine{"raw_network_grep", {}, "RawNetworkGrepNoArgs"},
        BadCommandLine{"raw_network_grep", {"1", "127.0.0.1", "9"}, "RawNetworkGrepThreeArgs"},
        BadCommandLine{
            "raw_network_grep", {"1", "127.0.0.1", "port", "500"}, "RawNetworkGrepBadPort"},
        BadCommandLine{
            "raw_network_grep", {"two", "127.0.0.1", "9", "500"}, "RawNetworkGrepBadStreamCount"},
        BadCommandLine{
            "raw_network_grep", {"1", "127.0.0.1", "9", "soon"}, "RawNetworkGrepBadBatchMillis"},
        BadCommandLine{
            "raw_network_grep", {"0", "127.0.0.1", "9", "500"}, "RawNetworkGrepZeroStreams"},
        BadCommandLine{"raw_text_sender", {}, "RawTextSenderNoArgs"},
        BadCommandLine{"raw_text_sender", {"port", "f.txt", "100", "1000"}, "RawTextSenderBadPort"},
        BadCommandLine{
            "raw_text_sender", {"9", "f.txt", "big", "1000"}, "RawTextSenderBadBlockSize"},
        BadCommandLine{"raw_text_sender", {"9", "f.txt", "100", "fast"}, "RawTextSenderBadRate"},
        BadCommandLine{"demo_word_count", {"1", "2"}, "DemoWordCountTwoArgs"},
        BadCommandLine{"demo_word_count", {"many"}, "DemoWordCountBadRate"},
        BadCommandLine{
            "stateful_network_word_count", {"127.0.0.1"}, "StatefulNetworkWordCountOneArg"},
        BadCommandLine{"stateful_network_word_count",
                       {"127.0.0.1", "p0rt"},
                       "StatefulNetworkWordCountBadPort"},
        BadCommandLine{"windowed_top_words", {"1", "2"}, "WindowedTopWordsTwoArgs"},
        BadCommandLine{"recoverable_network_word_count",
                       {"127.0.0.1", "9", "/tmp/ckpt"},
                       "RecoverableNetworkWordCountThreeArgs"},
        BadCommandLine{"windowed_top_words", {"lots"}, "WindowedTopWordsBadRate"},
        BadCommandLine{
            "direct_kafka_word_count", {"127.0.0.1:9092", "group"}, "DirectKafkaWordCountTwoArgs"}),
    [](const auto& param_info) { return param_info.param.label; });

/// Every example program: one per examples/*.cpp.
std::vector<std::string> allExamples() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(fs::path(EMBER_SOURCE_DIR) / "examples")) {
    if (entry.path().extension() == ".cpp") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class ExampleHelp : public ::testing::TestWithParam<std::string> {};

TEST_P(ExampleHelp, PrintsUsageAndWhatItDoesAndExitsWithZero) {
  // Arguments that would start the job are there too: --help wins, nothing starts.
  for (std::vector<std::string> args : {std::vector<std::string>{"--help"},
                                        {"-h"},
                                        {"127.0.0.1", "9", "--help"},
                                        {"--conf", "ember.ui.enabled=false", "-h"}}) {
    Process p(examplePath(GetParam()), args);
    EXPECT_EQ(p.wait(kExitTimeout), 0) << describe(p);
    std::string out = p.stdoutText();
    EXPECT_TRUE(out.starts_with("Usage: " + GetParam() + " ")) << describe(p);
    EXPECT_NE(out.find("--help"), std::string::npos) << describe(p);
    // More than the usage line: a description of at least one line of its own.
    EXPECT_GE(std::count(out.begin(), out.end(), '\n'), 4) << describe(p);
    EXPECT_EQ(p.stderrText(), "") << describe(p);
  }
}

INSTANTIATE_TEST_SUITE_P(Examples, ExampleHelp, ::testing::ValuesIn(allExamples()),
                         [](const auto& param_info) { return param_info.param; });

TEST(ExampleHelpListing, CoversEveryExample) {
  // A guard against an empty listing (which would make the suite above test nothing).
  auto names = allExamples();
  EXPECT_GE(names.size(), 11u);
  EXPECT_NE(std::find(names.begin(), names.end(), "recoverable_network_word_count"), names.end());
}

struct ValidCommandLine {
  std::string example;
  std::vector<std::string> args;
};

class ExampleConf : public ::testing::TestWithParam<ValidCommandLine> {};

TEST_P(ExampleConf, RejectsAnInvalidValueNamingTheKeyAndTheValue) {
  auto args = GetParam().args;
  args.insert(args.end(), {"--conf", "ember.streaming.blockInterval=fast"});
  Process p(examplePath(GetParam().example), args);
  EXPECT_EQ(p.wait(kExitTimeout), 1) << describe(p);
  std::string err = p.stderrText();
  EXPECT_NE(err.find("ember.streaming.blockInterval"), std::string::npos) << describe(p);
  EXPECT_NE(err.find("'fast'"), std::string::npos) << describe(p);
}

INSTANTIATE_TEST_SUITE_P(
    Examples, ExampleConf,
    ::testing::Values(ValidCommandLine{"network_word_count", {"127.0.0.1", "9"}},
                      ValidCommandLine{"custom_receiver", {"127.0.0.1", "9"}},
                      ValidCommandLine{"hdfs_word_count", {"/nonexistent-ember-dir"}},
                      ValidCommandLine{"queue_stream", {}},
                      ValidCommandLine{"raw_network_grep", {"1", "127.0.0.1", "9", "500"}},
                      ValidCommandLine{"raw_text_sender", {"9", "f.txt", "100", "1000"}},
                      ValidCommandLine{"demo_word_count", {}},
                      ValidCommandLine{"stateful_network_word_count", {"127.0.0.1", "9"}},
                      ValidCommandLine{"windowed_top_words", {}},
                      ValidCommandLine{"recoverable_network_word_count",
                                       {"127.0.0.1", "9", "/nonexistent-ember-dir/c", "o.txt"}}),
    [](const auto& param_info) { return param_info.param.example; });

}  // namespace
}  // namespace ember::testing
