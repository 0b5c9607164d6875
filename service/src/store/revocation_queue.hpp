// SPDX-License-Identifier: Apache-2.0
// The revocation delivery queue in the database (table revocation_requests, schema migration
// 7), over one connection: the SQL behind Store's revocation and operations methods.
// A case has at most one revocation request (unique index); each has a random idempotency key
// sent unchanged on every attempt, so the CA sees one request however often it is delivered.
// Claims are leases under the row lock (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the write
// transaction): two instances never deliver the same request at the same time.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/sql.hpp"

namespace ias::service::store {

// Inside the caller's transaction, with the case row locked: the id of the case's request,
// inserted now unless the case already has one.
std::int64_t enqueueRevocation(SqlConnection& c, const NewRevocation& r, Time now);
// Every request (caseId 0), or the one of a case.
std::vector<RevocationRequest> listRevocations(SqlConnection& c, std::int64_t caseId = 0);
// One transaction each.
std::optional<RevocationRequest> claimRevocation(SqlConnection& c, const std::string& owner, Time leaseUntil, Time now);
void finishRevocation(SqlConnection& c, std::int64_t id, const std::string& owner, const RevocationAttempt& a, Time now);

QueueStats revocationQueueStats(SqlConnection& c);
// The mail delivery queue: outbox rows queued for SMTP (not yet sent or failed).
QueueStats mailQueueStats(SqlConnection& c);
std::vector<std::pair<std::string, std::int64_t>> caseCountsByState(SqlConnection& c);

}  // namespace ias::service::store
