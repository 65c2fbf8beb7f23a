// SIGINT and SIGTERM against a real process (tests/e2e/signal_job.cpp) whose graceful stop
// stalls on a batch until the test releases it: a repeat of the signal within a second of
// the first is the same request (GNU `timeout` signals the child and then its process
// group), a repeat later than that exits at once.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <thread>

#include "testing/harness.hpp"
#include "testing/process.hpp"

namespace ember::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kOutputTimeout = seconds(45);
constexpr milliseconds kExitTimeout = seconds(20);
const std::string kJob = std::string(EMBER_BUILD_DIR) + "/tests/ember_signal_job";

std::string describe(const Process& p) {
  return "command: " + p.commandLine() + "\n--- stdout ---\n" + p.stdoutText() +
         "\n--- stderr ---\n" + p.stderrText();
}

const char* nameOf(int signo) { return signo == SIGINT ? "SIGINT" : "SIGTERM"; }

/// Starts the job, waits until its batch is blocked, sends `signo` and waits until the
/// job has logged it (so the signal was handled before this returns).
void signalWhileBlocked(Process& p, int signo) {
  ASSERT_TRUE(p.waitForStdout("blocked\n", kOutputTimeout)) << describe(p);
  p.signal(signo);
  ASSERT_TRUE(p.waitForStderr(std::string("Received ") + nameOf(signo), kOutputTimeout))
      << describe(p);
}

struct Repeat {
  int first;
  int second;
};

void PrintTo(const Repeat& r, std::ostream* os) {
  *os << nameOf(r.first) << " then " << nameOf(r.second);
}

class RepeatedSignal : public ::testing::TestWithParam<Repeat> {};

TEST_P(RepeatedSignal, WithinASecondIsTheSameRequestAndTheStopStaysGraceful) {
  TempDir dir;
  const auto release = dir.path() / "release";
  Process p(kJob, {release.string()});
  ASSERT_NO_FATAL_FAILURE(signalWhileBlocked(p, GetParam().first));
  // The first signal was handled before its log line: this one comes well within a second
  // of it, while the stop waits on the blocked batch.
  p.signal(GetParam().second);
  std::ofstream(release).close();
  EXPECT_EQ(p.wait(kExitTimeout), 0) << describe(p);
  EXPECT_NE(p.stdoutText().find("batch of 3 records done\n"), std::string::npos) << describe(p);
  EXPECT_NE(p.stdoutText().find("stopped cleanly\n"), std::string::npos) << describe(p);
  EXPECT_NE(p.stderrText().find("StreamingContext stopped"), std::string::npos) << describe(p);
  EXPECT_EQ(p.stderrText().find("ERROR"), std::string::npos) << describe(p);
}

INSTANTIATE_TEST_SUITE_P(Signals, RepeatedSignal,
                         ::testing::Values(Repeat{SIGTERM, SIGTERM}, Repeat{SIGINT, SIGTERM},
                                           Repeat{SIGINT, SIGINT}),
                         [](const ::testing::TestParamInfo<Repeat>& p) {
                           return std::string(nameOf(p.param.first)) + "Then" +
                                  nameOf(p.param.second);
                         });

TEST(ShutdownSignal, UnderGnuTimeoutTheProgramStopsCleanly) {
  // `timeout` sends its signal to the program and then to its own process group, which
  // holds the program: two signals a moment apart.
  if (std::system("command -v timeout > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "GNU timeout (coreutils) is not installed";
  }
  TempDir dir;
  const auto release = dir.path() / "release";
  std::ofstream(release).close();  // the batch does not block
  // 3 s: a lower bound for the job to have started (a signal before start() ends it at once).
  Process p("/usr/bin/env",
            {"timeout", "--preserve-status", "-s", "TERM", "3", kJob, release.string()});
  EXPECT_EQ(p.wait(kExitTimeout), 0) << describe(p);
  EXPECT_NE(p.stdoutText().find("stopped cleanly\n"), std::string::npos) << describe(p);
  EXPECT_NE(p.stderrText().find("Received SIGTERM"), std::string::npos) << describe(p);
}

TEST(ShutdownSignal, ARepeatMoreThanASecondLaterExitsAtOnceWhileTheStopIsStalled) {
  TempDir dir;
  Process p(kJob, {(dir.path() / "release").string()});  // never released
  ASSERT_NO_FATAL_FAILURE(signalWhileBlocked(p, SIGTERM));
  // Not a synchronisation: the scenario is a repeat more than a second after the first
  // signal, which was handled before its log line was seen.
  std::this_thread::sleep_for(milliseconds(1100));
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(kExitTimeout), 128 + SIGTERM) << describe(p);
  EXPECT_FALSE(p.timedOut()) << "the second signal did not end the stalled stop";
  EXPECT_EQ(p.stdoutText().find("stopped cleanly"), std::string::npos) << describe(p);
}

}  // namespace
}  // namespace ember::testing
