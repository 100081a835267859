#include "base/thread_role.hpp"

namespace agora::base {
namespace {
thread_local bool t_io_thread = false;
}

IoThreadScope::IoThreadScope() noexcept : previous_(t_io_thread) { t_io_thread = true; }
IoThreadScope::~IoThreadScope() { t_io_thread = previous_; }
bool on_io_thread() noexcept { return t_io_thread; }

}  // namespace agora::base
