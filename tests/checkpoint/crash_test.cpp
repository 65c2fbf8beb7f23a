// Crash tests with real processes: a stateful job over a file source is killed with SIGKILL
// at random moments (at least 20 times) while files keep arriving, restarted from its
// checkpoints each time, and its final state must equal the counts computed here from all
// the input: nothing lost, nothing counted twice. The kill moments and the input come from
// a seed, printed by every run: EMBER_CRASH_SEED=<seed> replays one.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ember/text.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <stop_token>
#include <thread>

#include "testing/harness.hpp"
#include "testing/net.hpp"
#include "testing/process.hpp"

namespace ember {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Counts = std::map<std::string, int64_t>;

const std::string kJob = EMBER_BUILD_DIR "/tests/ember_crash_job";

/// The counts in the job's state file (empty when it does not exist yet).
Counts readState(const std::string& path) {
  Counts counts;
  std::ifstream in(path);
  std::string header, word;
  std::getline(in, header);
  int64_t n;
  while (in >> word >> n) counts[word] = n;
  return counts;
}

bool hasCheckpoint(const fs::path& dir) {
  if (!fs::exists(dir)) return false;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().starts_with("checkpoint-")) return true;
  }
  return false;
}

std::string describeDifference(const Counts& got, const Counts& want) {
  std::ostringstream out;
  for (const auto& [w, n] : want) {
    auto it = got.find(w);
    int64_t g = it == got.end() ? 0 : it->second;
    if (g != n) out << w << ": got " << g << ", want " << n << "\n";
  }
  for (const auto& [w, n] : got) {
    if (!want.count(w)) out << w << ": got " << n << ", want nothing\n";
  }
  return out.str();
}

/// EMBER_CRASH_SEED when set, else a fresh one; printed either way, so that a failure can
/// be replayed.
unsigned crashSeed() {
  const char* env = std::getenv("EMBER_CRASH_SEED");
  unsigned seed = env != nullptr && *env != '\0' ? static_cast<unsigned>(std::stoul(env))
                                                 : std::random_device{}();
  std::cout << "crash test seed " << seed << " (replay with EMBER_CRASH_SEED=" << seed << ")"
            << std::endl;
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  return seed;
}

/// Runs the crash job over `mode`'s input, feeding 400 chunks of words through `drop(n,
/// text)` while killing the job with SIGKILL at random moments at least 20 times, then
/// checks the final state against the counts of everything fed.
void crashLoop(const std::string& mode,
               const std::function<void(const fs::path& dir, int n, const std::string& text)>& drop,
               bool feed_after_first_checkpoint) {
  testing::TempDir input, checkpoints, work;
  const std::string state = work.str() + "/state.txt";
  const unsigned seed = crashSeed();
  SCOPED_TRACE("EMBER_CRASH_SEED=" + std::to_string(seed));
  std::mt19937 rng(seed);
  auto start = [&] {
    return std::make_unique<testing::Process>(
        kJob, std::vector<std::string>{input.str(), checkpoints.str(), state, mode, "--conf",
                                       "ember.log.level=warn"});
  };

  auto job = start();
  ASSERT_TRUE(job->waitForStdout("started", 30s)) << job->stderrText();
  if (feed_after_first_checkpoint) {
    // Files older than the job's first start are not new to it (as in Spark): feed once a
    // checkpoint exists, so every restart recovers and every file counts.
    ASSERT_TRUE(testing::waitUntil([&] { return hasCheckpoint(checkpoints.path()); }, 30s))
        << job->stderrText();
  }

  Counts expected;
  // A jthread: an assertion failing in the loop below returns from here, and the feeder
  // must then stop and be joined, not terminate the test program.
  std::jthread feeder([&](const std::stop_token& stop) {
    std::mt19937 words(seed + 1);
    for (int n = 1; n <= 400 && !stop.stop_requested(); ++n) {
      std::string text;
      for (int line = 0; line < 3; ++line) {
        for (int i = 0; i < 5; ++i) {
          std::string w = "w" + std::to_string(words() % 50);
          text += (i ? " " : "") + w;
          ++expected[w];
        }
        text += "\n";
      }
      drop(input.path(), n, text);
      std::this_thread::sleep_for(25ms);
    }
  });

  int kills = 0;
  auto deadline = std::chrono::steady_clock::now() + 90s;
  while (kills < 20 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 500));
    job->signal(SIGKILL);
    job->wait(10s);
    ++kills;
    job = start();
    ASSERT_TRUE(job->waitForStdout("started", 30s)) << job->stderrText();
    if (feed_after_first_checkpoint) {
      EXPECT_NE(job->stdoutText().find("recovered"), std::string::npos)
          << "restart " << kills << " did not recover:\n"
          << job->stderrText();
    }
  }
  feeder.join();
  EXPECT_GE(kills, 20);

  bool caught_up = testing::waitUntil([&] { return readState(state) == expected; }, 60s);
  EXPECT_TRUE(caught_up) << describeDifference(readState(state), expected) << job->stderrText();
  job->signal(SIGTERM);
  EXPECT_EQ(job->wait(30s), 0) << job->stderrText();
}

/// Writes `text` to `dir/name` atomically (a hidden temporary file, then a rename).
void writeAtomically(const fs::path& dir, const std::string& name, const std::string& text) {
  fs::path temp = dir / ("." + name);
  std::ofstream(temp) << text;
  fs::rename(temp, dir / name);
}

TEST(CrashRecovery, FileStreamKilledAtRandomMomentsLosesNothingAndCountsNothingTwice) {
  crashLoop(
      "files",
      [](const fs::path& dir, int n, const std::string& text) {
        writeAtomically(dir, "part-" + std::to_string(n), text);
      },
      /*feed_after_first_checkpoint=*/true);
}

TEST(CrashRecovery, WriteAheadLogReceiverKilledAtRandomMomentsLosesNothingAndCountsNothingTwice) {
  crashLoop(
      "receiver",
      [](const fs::path& dir, int n, const std::string& text) {
        writeAtomically(dir, "chunk-" + std::to_string(n), text);
      },
      /*feed_after_first_checkpoint=*/false);
}

TEST(CheckpointDirectory, ReadOnlyIsAClearErrorAndTheJobKeepsItsLastGoodCheckpoint) {
  testing::TempDir input, checkpoints, work;
  const std::string state = work.str() + "/state.txt";
  std::vector<std::string> args = {input.str(), checkpoints.str(), state,
                                   "files",     "--conf",          "ember.log.level=warn"};
  {
    testing::Process first(kJob, args);
    ASSERT_TRUE(testing::waitUntil([&] { return hasCheckpoint(checkpoints.path()); }, 30s))
        << first.stderrText();
  }  // killed
  std::set<std::string> good;
  for (const auto& e : fs::directory_iterator(checkpoints.path())) good.insert(e.path());
  fs::permissions(checkpoints.path(), fs::perms::owner_read | fs::perms::owner_exec |
                                          fs::perms::group_read | fs::perms::group_exec |
                                          fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(work.path(), fs::perms::all);  // the state file stays writable
  // Root writes anywhere: run the job as nobody then.
  std::string program = kJob;
  if (::geteuid() == 0) {
    args.insert(args.begin(), {"--reuid=nobody", "--regid=nogroup", "--clear-groups", kJob});
    program = "/usr/bin/setpriv";
    if (!fs::exists(program)) GTEST_SKIP() << "running as root without setpriv (util-linux)";
  }
  testing::Process job(program, args);
  bool reported = job.waitForStderr("not written", 30s);
  if (!reported && job.stderrText().find("Permission denied") != std::string::npos &&
      job.stdoutText().find("started") == std::string::npos) {
    GTEST_SKIP() << "the build tree is not accessible to user nobody: " << job.stderrText();
  }
  ASSERT_TRUE(reported) << job.stderrText();
  EXPECT_NE(job.stderrText().find("Permission denied"), std::string::npos) << job.stderrText();
  EXPECT_NE(job.stderrText().find("stays the one a restart recovers from"), std::string::npos)
      << job.stderrText();
  // The job goes on with its batches, and the last good checkpoint is untouched.
  std::string before = job.stdoutText();
  EXPECT_TRUE(job.waitForOutput(
      [&](const std::string& out, const std::string&) { return out.size() > before.size() + 20; },
      30s))
      << job.stderrText();
  std::set<std::string> now;
  for (const auto& e : fs::directory_iterator(checkpoints.path())) now.insert(e.path());
  EXPECT_EQ(now, good);
  job.signal(SIGTERM);
  EXPECT_EQ(job.wait(30s), 0) << job.stderrText();
  fs::permissions(checkpoints.path(), fs::perms::owner_all);
}

}  // namespace
}  // namespace ember
