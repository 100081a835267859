#pragma once
// Marks the threads that run network I/O so blocking work (database calls) can refuse to run
// there (DESIGN.md "How data flows": database work runs on a worker pool, never on I/O threads).

namespace agora::base {

/// Marks the calling thread as an I/O thread while the scope lives.
class IoThreadScope {
 public:
  IoThreadScope() noexcept;
  ~IoThreadScope();
  IoThreadScope(const IoThreadScope&) = delete;
  IoThreadScope& operator=(const IoThreadScope&) = delete;

 private:
  bool previous_;
};

/// True on a thread inside an IoThreadScope.
bool on_io_thread() noexcept;

}  // namespace agora::base
