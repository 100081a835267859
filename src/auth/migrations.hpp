#pragma once
// The identity schema. Versions are one sequence shared by every module (app/migrations.cpp
// merges the modules' lists by version), so a new migration takes the next free number.

#include "store/migrations.hpp"

#include <span>

namespace agora::auth {

/// auth's migrations, oldest first: 1 creates organisations, organisation_domains and people;
/// 2 grants, grant_generation and server_keys.
std::span<const store::Migration> migrations();

}  // namespace agora::auth
