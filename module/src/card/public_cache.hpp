// SPDX-License-Identifier: Apache-2.0
// The persistent cache of a card's PUBLIC PKCS#15 data (docs/cache.md): what the module read
// from one card (its ATR, serial, applications, the files of each application — ODF,
// TokenInfo, AODF, PrKDF, CDF, certificates — and the descriptors of its keys), so that the
// next process on the same card does not read them again. Nothing secret and nothing live
// (a PIN's tries) is ever in a record; nothing in it decides a security question: the card
// checks every PIN and key.
//
// CardRecord is a value; encodeCardRecord/parseCardRecord are its file format (strict: any
// malformed, truncated or oversized input is nullopt, never a crash). CacheDirectory is the
// directory of one user's records: one file per card, named by its serial, read only when it
// is a regular file owned by the user, written atomically (temporary file + rename, 0600).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "ias/apdu/bytes.hpp"

namespace ias::card {

struct CardRecord {
    using FileKey = std::pair<std::uint8_t, std::uint16_t>;                        // application, FID
    using DescriptorKey = std::tuple<std::uint8_t, std::uint8_t, std::uint8_t>;  // application, SDO class, reference

    apdu::Bytes atr;
    apdu::Bytes serial;  // the token's serial: TokenInfo's serialNumber (EF.SN's tag 5A value on a card without one)
    std::uint8_t selectFileP2 = 0x0C;
    bool sfiReadsWork = true;
    std::vector<apdu::Bytes> applications;  // AIDs; [0] is the token's application
    std::map<FileKey, apdu::Bytes> files;   // whole EF contents
    std::vector<FileKey> missingFiles;      // the card answered "no such file"
    // GET DATA answers of key and PIN descriptors, in their public form (access rules, a PIN's
    // try limit; never a PIN's tries left); an empty answer = the card did not show it.
    std::map<DescriptorKey, apdu::Bytes> descriptors;

    const apdu::Bytes* file(std::uint8_t application, std::uint16_t fid) const;
    bool isMissing(std::uint8_t application, std::uint16_t fid) const;
    bool operator==(const CardRecord&) const = default;
};

// Limits of a record (and of a cache file).
inline constexpr std::size_t kMaxRecordSize = std::size_t{1} << 20;
inline constexpr std::size_t kMaxRecordItems = 1024;

apdu::Bytes encodeCardRecord(const CardRecord& record);
// nullopt for anything that is not exactly one well-formed record of this version (bad
// magic, truncated, trailing bytes, checksum mismatch, duplicate or out-of-range items).
std::optional<CardRecord> parseCardRecord(apdu::ByteView bytes);

// The cache file name of a card: lower-case hex of its serial + ".cache".
std::string cacheFileName(apdu::ByteView serial);

class CacheDirectory {
public:
    // `path` is absolute. The directory is created 0700 if missing (with its parent); a
    // directory not owned by the user, open to others, or reached through a symbolic link
    // is refused: usable() is false and why() says so.
    explicit CacheDirectory(std::string path);
    bool usable() const { return usable_; }
    const std::string& path() const { return path_; }
    const std::string& why() const { return why_; }

    // The valid records of cards with this ATR. Files that are not regular, not the user's,
    // larger than kMaxRecordSize, malformed, or whose record is for another serial than
    // their name are skipped.
    std::vector<CardRecord> recordsFor(apdu::ByteView atr) const;
    // The record in <serial>.cache, if valid (tests).
    std::optional<CardRecord> load(apdu::ByteView serial) const;
    // Writes the record atomically (unique temporary file, 0600, O_NOFOLLOW, rename): a
    // concurrent reader sees the old file or the new one, never a part. false + why on error.
    bool store(const CardRecord& record, std::string& why) const;

private:
    std::optional<CardRecord> readRecord(int dirFd, const char* name) const;
    std::string path_;
    std::string why_;
    bool usable_ = false;
};

}  // namespace ias::card
