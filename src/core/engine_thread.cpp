#include "core/engine_thread.hpp"

namespace ember::detail {
namespace {
thread_local bool t_engine_thread = false;
thread_local bool t_receiver_thread = false;
}  // namespace

void markReceiverThread() { t_receiver_thread = true; }

bool onReceiverThread() { return t_receiver_thread; }

void markEngineThread() { t_engine_thread = true; }

bool onEngineThread() { return t_engine_thread; }

EngineThreadScope::EngineThreadScope() : previous_(t_engine_thread) { t_engine_thread = true; }

EngineThreadScope::~EngineThreadScope() { t_engine_thread = previous_; }

}  // namespace ember::detail
