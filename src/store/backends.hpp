#pragma once
// The two backends Database::open chooses between. Internal to store/.

#include "store/database.hpp"

namespace agora::store {

/// Opens the SQLite database file at `path`, creating it and its folder if needed.
Result<std::unique_ptr<Database>> open_sqlite(const std::filesystem::path& path,
                                              const Options& options);

/// Opens a pool on the PostgreSQL server named by the libpq URI `url`.
Result<std::unique_ptr<Database>> open_postgres(const std::string& url, const Options& options);

}  // namespace agora::store
