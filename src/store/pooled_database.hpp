#pragma once
// The one Database implementation: a bounded pool of backend connections. Internal to store/;
// the SQLite and PostgreSQL backends supply only their connections.

#include "store/database.hpp"

#include <condition_variable>
#include <mutex>

namespace agora::store {

/// A Connection the pool can make ready for its next borrower.
class PooledConnection : public Connection {
 public:
  /// Ends any transaction the last borrower left open; false when the connection is broken
  /// and must be closed instead of reused.
  virtual bool recycle() noexcept = 0;
};

/// Opens one new connection to the database the pool serves.
using ConnectionFactory = std::function<Result<std::unique_ptr<PooledConnection>>()>;

/// A Database lending up to options.pool_size connections, opened on first need.
class PooledDatabase final : public Database {
 public:
  /// `description` is what describe() returns, so it must hold no secret.
  PooledDatabase(Dialect dialect, std::string description, ConnectionFactory factory,
                 const Options& options);

  Dialect dialect() const override { return dialect_; }
  std::string describe() const override { return description_; }
  Result<> ping() override;

 protected:
  Result<Lease> acquire() override;
  Result<> begin(Connection& c) override;
  Result<> commit(Connection& c) override;
  void rollback(Connection& c) noexcept override;

 private:
  void give_back(PooledConnection* connection) noexcept;

  const Dialect dialect_;
  const std::string description_;
  const ConnectionFactory factory_;
  const int pool_size_;
  const std::chrono::milliseconds acquire_timeout_;

  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<PooledConnection>> idle_;
  int open_count_ = 0;  // idle plus lent out plus being opened
};

}  // namespace agora::store
