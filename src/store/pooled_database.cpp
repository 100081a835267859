#include "store/pooled_database.hpp"

#include "base/thread_role.hpp"

#include <fmt/format.h>

namespace agora::store {

PooledDatabase::PooledDatabase(Dialect dialect, std::string description, ConnectionFactory factory,
                               const Options& options)
    : dialect_(dialect),
      description_(std::move(description)),
      factory_(std::move(factory)),
      pool_size_(options.pool_size),
      acquire_timeout_(options.acquire_timeout) {}

Result<> PooledDatabase::ping() {
  return with_connection([](Connection& c) -> Result<> {
    AGORA_TRY(c.query("SELECT 1"));
    return {};
  });
}

Result<Database::Lease> PooledDatabase::acquire() {
  if (base::on_io_thread()) {
    return fail(ErrorKind::internal,
                "database call on an HTTP I/O thread; run it on the worker pool, where blocking "
                "is allowed");
  }
  auto make_lease = [this](PooledConnection* c) {
    return Lease(c, [this](Connection* lent) { give_back(static_cast<PooledConnection*>(lent)); });
  };

  std::unique_lock lock(mutex_);
  const bool free = returned_.wait_for(
      lock, acquire_timeout_, [this] { return !idle_.empty() || open_count_ < pool_size_; });
  if (!free) {
    return fail(ErrorKind::unavailable,
                fmt::format("all {} connections to {} are busy after waiting {} ms; raise the "
                            "pool size or look for slow queries",
                            pool_size_, description_, acquire_timeout_.count()));
  }
  if (!idle_.empty()) {
    // Most recently returned first: its caches are warm.
    PooledConnection* c = idle_.back().release();
    idle_.pop_back();
    return make_lease(c);
  }
  ++open_count_;
  lock.unlock();  // connecting can take a while; let others return and borrow meanwhile

  auto opened = factory_();
  if (!opened) {
    lock.lock();
    --open_count_;
    returned_.notify_one();
    return opened.error();
  }
  return make_lease(opened->release());
}

void PooledDatabase::give_back(PooledConnection* connection) noexcept {
  std::unique_ptr<PooledConnection> owned(connection);
  const bool reusable = owned->recycle();
  std::unique_ptr<PooledConnection> broken;  // closed outside the lock
  {
    std::lock_guard lock(mutex_);
    if (reusable) {
      idle_.push_back(std::move(owned));
    } else {
      broken = std::move(owned);
      --open_count_;
    }
  }
  returned_.notify_one();
}

Result<> PooledDatabase::begin(Connection& c) {
  // IMMEDIATE takes SQLite's write lock up front, so two writers queue on the busy timeout
  // instead of one failing with SQLITE_BUSY when it upgrades a read lock mid-transaction.
  return c.execute_script(dialect_ == Dialect::sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
}

Result<> PooledDatabase::commit(Connection& c) {
  return c.execute_script("COMMIT");
}

void PooledDatabase::rollback(Connection& c) noexcept {
  // A failed ROLLBACK leaves the transaction open; recycle() closes the connection then.
  (void)c.execute_script("ROLLBACK");
}

}  // namespace agora::store
