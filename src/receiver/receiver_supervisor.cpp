#include "receiver/receiver_supervisor.hpp"

#include <ember/logging.hpp>

#include "core/engine_thread.hpp"
#include "core/exception_text.hpp"

namespace ember::detail {
namespace {
constexpr const char* kLog = "ReceiverSupervisor";
}  // namespace

ReceiverSupervisor::ReceiverSupervisor(std::shared_ptr<ReceiverBase> receiver, int stream_id,
                                       Duration restart_delay)
    : receiver_(std::move(receiver)), stream_id_(stream_id), restart_delay_(restart_delay) {
  WriterLock lock(receiver_->supervisor_mu_);
  receiver_->supervisor_ = this;
}

ReceiverSupervisor::~ReceiverSupervisor() {
  stop("context shut down");
  std::thread stopper;
  {
    MutexLock lock(mu_);
    stopper = std::move(stopper_);
  }
  if (stopper.joinable()) stopper.join();
  // Waits for receiver threads still inside a call into this supervisor.
  WriterLock lock(receiver_->supervisor_mu_);
  receiver_->supervisor_ = nullptr;
}

std::string ReceiverSupervisor::name() const {
  return receiver_->name() + " (stream " + std::to_string(stream_id_) + ")";
}

bool ReceiverSupervisor::isStarted() const {
  MutexLock lock(mu_);
  return state_ == State::kStarted;
}

bool ReceiverSupervisor::isStopped() const {
  MutexLock lock(mu_);
  return state_ != State::kStarted;
}

bool ReceiverSupervisor::startReceiver() {
  {
    MutexLock lock(mu_);
    if (stopped_for_good_) return true;
    state_ = State::kStarted;
  }
  try {
    EngineThreadScope engine;  // stop() from onStart must not wait for the start to end
    {
      MutexLock lifecycle(lifecycle_mu_);
      receiver_->onStart();
    }
    logInfo(kLog, "Started receiver " + name());
    notify(ReceiverEvent::kStarted, "");
    return true;
  } catch (...) {
    logError(kLog, "Receiver " + name() +
                       " failed to start: " + describeException(std::current_exception()));
    return false;
  }
}

void ReceiverSupervisor::stopReceiver(const std::string& reason) {
  {
    MutexLock lock(mu_);
    if (state_ != State::kStarted) return;
    state_ = State::kStopped;
  }
  try {
    EngineThreadScope engine;  // stop() from onStop must not wait for the teardown running it
    MutexLock lifecycle(lifecycle_mu_);
    receiver_->onStop();
  } catch (...) {
    logError(kLog, "Receiver " + name() +
                       " failed in onStop: " + describeException(std::current_exception()));
  }
  logInfo(kLog, "Stopped receiver " + name() + ": " + reason);
  notify(ReceiverEvent::kStopped, reason);
}

void ReceiverSupervisor::start() {
  if (!startReceiver()) restart("onStart failed", std::nullopt, nullptr);
}

void ReceiverSupervisor::stop(const std::string& reason) {
  // One stop at a time: a second caller must not run onStop while the first still joins
  // a restart that may be inside onStart.
  MutexLock stop_lock(stop_mu_);
  std::thread restarter;
  {
    MutexLock lock(mu_);
    stopped_for_good_ = true;
    cv_.notify_all();
    if (restarter_.joinable() && restarter_.get_id() != std::this_thread::get_id()) {
      restarter = std::move(restarter_);
    }
  }
  if (restarter.joinable()) restarter.join();
  stopReceiver(reason);
}

void ReceiverSupervisor::restart(const std::string& message, std::optional<Duration> delay,
                                 std::exception_ptr error) {
  MutexLock lock(mu_);
  if (stopped_for_good_) return;
  Duration wait = delay.value_or(restart_delay_);
  std::string why = message + (error ? ": " + describeException(error) : "");
  if (restarting_) {
    // A restart is under way. Once it has started the receiver again, a new request comes
    // from the new run and must not be lost: the restart thread runs another round.
    if (accept_again_ && !restart_again_) restart_again_ = RestartRequest{wait, why};
    return;
  }
  restarting_ = true;
  if (restarter_.joinable()) {
    // The previous restart has finished (restarting_ was false); reap its thread.
    if (restarter_.get_id() == std::this_thread::get_id()) {
      restarter_.detach();
    } else {
      restarter_.join();
    }
  }
  restarter_ = std::thread([this, request = RestartRequest{wait, why}]() mutable {
    for (;;) {
      logWarn(kLog, "Restarting receiver " + name() + " with delay " + request.delay.toString() +
                        ": " + request.why);
      notify(ReceiverEvent::kError,
             "Restarting receiver with delay " + request.delay.toString() + ": " + request.why);
      for (;;) {
        {
          MutexLock round_lock(mu_);
          accept_again_ = false;  // requests of the run being stopped are this restart
        }
        stopReceiver("restarting");
        {
          MutexLock wait_lock(mu_);
          cv_.wait_for(mu_, request.delay.toChrono(),
                       [&]() EMBER_REQUIRES(mu_) { return stopped_for_good_; });
          if (stopped_for_good_) break;
          restart_again_.reset();
          accept_again_ = true;
        }
        if (startReceiver()) break;
        logWarn(kLog, "Restarting receiver " + name() + " again in " + request.delay.toString());
      }
      MutexLock done_lock(mu_);
      accept_again_ = false;
      if (stopped_for_good_ || !restart_again_) {
        restart_again_.reset();
        restarting_ = false;
        return;
      }
      request = std::move(*restart_again_);
      restart_again_.reset();
    }
  });
}

void ReceiverSupervisor::stopAsync(const std::string& reason) {
  MutexLock lock(mu_);
  if (stopper_.joinable() || stopped_for_good_) return;
  // Stopping joins receiver threads in onStop: never on the receiver's own thread.
  stopper_ = std::thread([this, reason] { stop(reason); });
}

void ReceiverSupervisor::reportError(const std::string& message, std::exception_ptr error) {
  std::string text = message + (error ? ": " + describeException(error) : "");
  logWarn(kLog, "Receiver " + name() + " reported an error: " + text);
  notify(ReceiverEvent::kError, text);
}

void ReceiverSupervisor::setEventHook(EventHook hook) {
  MutexLock lock(mu_);
  hook_ = std::move(hook);
}

void ReceiverSupervisor::notify(ReceiverEvent event, const std::string& message) {
  EventHook hook;
  {
    MutexLock lock(mu_);
    hook = hook_;
  }
  if (hook) hook(event, message);
}

}  // namespace ember::detail

namespace ember {

void ReceiverBase::restart(const std::string& message) {
  detail::markReceiverThread();
  detail::ReaderLock lock(supervisor_mu_);
  if (supervisor_ != nullptr) supervisor_->restart(message, std::nullopt, nullptr);
}
void ReceiverBase::restart(const std::string& message, Duration delay) {
  detail::markReceiverThread();
  detail::ReaderLock lock(supervisor_mu_);
  if (supervisor_ != nullptr) supervisor_->restart(message, delay, nullptr);
}
void ReceiverBase::restart(const std::string& message, std::exception_ptr error) {
  detail::markReceiverThread();
  detail::ReaderLock lock(supervisor_mu_);
  if (supervisor_ != nullptr) supervisor_->restart(message, std::nullopt, std::move(error));
}
void ReceiverBase::reportError(const std::string& message, std::exception_ptr error) {
  detail::markReceiverThread();
  {
    detail::ReaderLock lock(supervisor_mu_);
    if (supervisor_ != nullptr) {
      supervisor_->reportError(message, std::move(error));
      return;
    }
  }
  logWarn("Receiver", name() + ": " + message);  // not under the lock: a log sink may call back
}
void ReceiverBase::stop(const std::string& message) {
  detail::markReceiverThread();
  detail::ReaderLock lock(supervisor_mu_);
  if (supervisor_ != nullptr) supervisor_->stopAsync(message);
}
bool ReceiverBase::isStarted() const {
  detail::ReaderLock lock(supervisor_mu_);
  return supervisor_ != nullptr && supervisor_->isStarted();
}
bool ReceiverBase::isStopped() const {
  detail::ReaderLock lock(supervisor_mu_);
  return supervisor_ == nullptr || supervisor_->isStopped();
}
int ReceiverBase::streamId() const {
  detail::ReaderLock lock(supervisor_mu_);
  return supervisor_ != nullptr ? supervisor_->streamId() : -1;
}

}  // namespace ember
