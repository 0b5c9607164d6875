// SPDX-License-Identifier: Apache-2.0
#include "public_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <filesystem>
#include <set>
#include <string_view>
#include <system_error>

#include "ias/apdu/crypto.hpp"

namespace ias::card {

using apdu::Bytes;
using apdu::ByteView;

namespace {

// File format, version 1:
//   "IASCACHE" 01, then items  tag(1) length(4, big endian) value, then the end item
//   7F 00000020 SHA-256(every byte before it). Items: 01 ATR, 02 serial, 03 rules
//   (select P2, SFI reads 0/1), 04 application AID (in order), 05 file (application, FID(2),
//   content), 06 missing file (application, FID(2)), 07 descriptor (application, class,
//   reference, GET DATA answer).
constexpr std::uint8_t kMagic[] = {'I', 'A', 'S', 'C', 'A', 'C', 'H', 'E', 0x01};
enum Tag : std::uint8_t { kAtr = 1, kSerial = 2, kRules = 3, kApplication = 4, kFile = 5, kMissing = 6, kDescriptor = 7, kEnd = 0x7F };
constexpr std::size_t kDigestSize = 32;
constexpr std::size_t kMaxApplications = 16;
constexpr std::size_t kMaxDirectoryEntries = 256;
constexpr std::time_t kMaxAge = std::time_t{7} * 24 * 3600;  // older files are read from the card again

std::string errnoText() { return std::error_code(errno, std::generic_category()).message(); }

void putItem(Bytes& out, std::uint8_t tag, ByteView head, ByteView value) {
    const std::size_t n = head.size() + value.size();
    out.push_back(tag);
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(n >> shift));
    apdu::append(out, head);
    apdu::append(out, value);
}

Bytes fileHead(std::uint8_t application, std::uint16_t fid) {
    return {application, static_cast<std::uint8_t>(fid >> 8), static_cast<std::uint8_t>(fid)};
}

bool isCacheName(std::string_view name) {
    constexpr std::string_view kSuffix = ".cache";
    if (name.size() <= kSuffix.size() || name.size() > 64 + kSuffix.size() || !name.ends_with(kSuffix)) return false;
    name.remove_suffix(kSuffix.size());
    return std::all_of(name.begin(), name.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); });
}

class Reader {
public:
    explicit Reader(ByteView v) : v_(v) {}
    bool done() const { return pos_ == v_.size(); }
    // Next item; false at a malformed one.
    bool next(std::uint8_t& tag, ByteView& value) {
        if (v_.size() - pos_ < 5) return false;
        tag = v_[pos_];
        std::size_t n = 0;
        for (std::size_t i = 1; i <= 4; ++i) n = n << 8 | v_[pos_ + i];
        if (n > v_.size() - pos_ - 5) return false;
        value = v_.subspan(pos_ + 5, n);
        pos_ += 5 + n;
        return true;
    }
    std::size_t position() const { return pos_; }

private:
    ByteView v_;
    std::size_t pos_ = 0;
};

std::uint16_t fidAt(ByteView v) { return static_cast<std::uint16_t>(v[1] << 8 | v[2]); }

// One item into `r`; false when it is malformed or repeats one that must be unique.
bool takeItem(CardRecord& r, std::uint8_t tag, ByteView v, std::set<std::uint8_t>& seen) {
    auto once = [&] { return seen.insert(tag).second; };
    switch (tag) {
        case kAtr:
            if (!once() || v.empty() || v.size() > 64) return false;
            r.atr = apdu::plainCopy(v);
            return true;
        case kSerial:
            if (!once() || v.empty() || v.size() > 32) return false;
            r.serial = apdu::plainCopy(v);
            return true;
        case kRules:
            if (!once() || v.size() != 2 || v[1] > 1) return false;
            r.selectFileP2 = v[0];
            r.sfiReadsWork = v[1] == 1;
            return true;
        case kApplication:
            if (v.empty() || v.size() > 16 || r.applications.size() >= kMaxApplications) return false;
            r.applications.push_back(apdu::plainCopy(v));
            return true;
        case kFile: {
            if (v.size() < 3) return false;
            // In the encoder's (the map's) order: one encoding per record.
            const CardRecord::FileKey key{v[0], fidAt(v)};
            if (!r.files.empty() && !(r.files.rbegin()->first < key)) return false;
            r.files.emplace_hint(r.files.end(), key, apdu::plainCopy(v.subspan(3)));
            return true;
        }
        case kMissing:
            if (v.size() != 3 || r.isMissing(v[0], fidAt(v))) return false;
            r.missingFiles.emplace_back(v[0], fidAt(v));
            return true;
        case kDescriptor: {
            if (v.size() < 3) return false;
            const CardRecord::DescriptorKey key{v[0], v[1], v[2]};
            if (!r.descriptors.empty() && !(r.descriptors.rbegin()->first < key)) return false;
            r.descriptors.emplace_hint(r.descriptors.end(), key, apdu::plainCopy(v.subspan(3)));
            return true;
        }
        default: return false;
    }
}

bool consistent(const CardRecord& r) {
    if (r.atr.empty() || r.serial.empty() || r.applications.empty()) return false;
    const std::size_t apps = r.applications.size();
    const auto inRange = [&](std::uint8_t application) { return application < apps; };
    for (const auto& [key, content] : r.files) {
        if (!inRange(key.first)) return false;
    }
    for (const auto& key : r.missingFiles) {
        if (!inRange(key.first) || r.file(key.first, key.second) != nullptr) return false;
    }
    for (const auto& [key, answer] : r.descriptors) {
        if (!inRange(std::get<0>(key))) return false;
    }
    return true;
}

// The directory as an fd, if it is ours, a real directory and closed to others.
int openOwnDirectory(const std::string& path, std::string& why) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        why = "cannot open the cache directory " + path + ": " + errnoText();
        return -1;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
        ::close(fd);
        why = "cache directory " + path + " is not the user's own (owner, mode 0700): cache not used";
        return -1;
    }
    return fd;
}

void makeDirectory(const std::string& path) {
    // The parent (~/.cache) as XDG wants it, then ours; existing ones are left as they are.
    if (const std::size_t slash = path.find_last_of('/'); slash != std::string::npos && slash > 0) {
        (void)::mkdir(path.substr(0, slash).c_str(), 0700);
    }
    (void)::mkdir(path.c_str(), 0700);
}

struct Fd {
    explicit Fd(int f) : fd(f) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd(Fd&&) = delete;
    Fd& operator=(Fd&&) = delete;
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

const Bytes* CardRecord::file(std::uint8_t application, std::uint16_t fid) const {
    const auto it = files.find(FileKey{application, fid});
    return it == files.end() ? nullptr : &it->second;
}

bool CardRecord::isMissing(std::uint8_t application, std::uint16_t fid) const {
    return std::find(missingFiles.begin(), missingFiles.end(), FileKey{application, fid}) != missingFiles.end();
}

Bytes encodeCardRecord(const CardRecord& r) {
    Bytes out(std::begin(kMagic), std::end(kMagic));
    putItem(out, kAtr, {}, r.atr);
    putItem(out, kSerial, {}, r.serial);
    const std::uint8_t rules[] = {r.selectFileP2, static_cast<std::uint8_t>(r.sfiReadsWork ? 1 : 0)};
    putItem(out, kRules, {}, rules);
    for (const Bytes& aid : r.applications) putItem(out, kApplication, {}, aid);
    for (const auto& [key, content] : r.files) putItem(out, kFile, fileHead(key.first, key.second), content);
    for (const auto& key : r.missingFiles) putItem(out, kMissing, fileHead(key.first, key.second), {});
    for (const auto& [key, answer] : r.descriptors) {
        const std::uint8_t head[] = {std::get<0>(key), std::get<1>(key), std::get<2>(key)};
        putItem(out, kDescriptor, head, answer);
    }
    const Bytes digest = apdu::crypto::sha256(out);
    putItem(out, kEnd, {}, digest);
    return out;
}

std::optional<CardRecord> parseCardRecord(ByteView bytes) {
    constexpr std::size_t kMagicSize = sizeof kMagic;
    if (bytes.size() > kMaxRecordSize || bytes.size() < kMagicSize + 5 + kDigestSize ||
        !std::equal(std::begin(kMagic), std::end(kMagic), bytes.begin())) {
        return std::nullopt;
    }
    Reader reader(bytes.subspan(kMagicSize));
    CardRecord r;
    std::set<std::uint8_t> seen;
    std::uint8_t lastTag = 0;
    for (std::size_t items = 0; items <= kMaxRecordItems; ++items) {
        const std::size_t start = kMagicSize + reader.position();
        std::uint8_t tag = 0;
        ByteView value;
        if (!reader.next(tag, value)) return std::nullopt;
        if (tag == kEnd) {
            if (!reader.done() || value.size() != kDigestSize) return std::nullopt;
            const Bytes digest = apdu::crypto::sha256(bytes.subspan(0, start));
            // ATR, serial and rules are each there exactly once (as the encoder writes them).
            if (!apdu::constantTimeEqual(digest, value) || seen.size() != 3 || !consistent(r)) return std::nullopt;
            return r;
        }
        if (tag < lastTag || !takeItem(r, tag, value, seen)) return std::nullopt;  // items in the encoder's order
        lastTag = tag;
    }
    return std::nullopt;
}

std::string cacheFileName(ByteView serial) { return apdu::toHex(serial) + ".cache"; }

CacheDirectory::CacheDirectory(std::string path) : path_(std::move(path)) {
    if (path_.empty() || path_.front() != '/') {
        why_ = "cache directory must be an absolute path";
        return;
    }
    makeDirectory(path_);
    const int fd = openOwnDirectory(path_, why_);
    if (fd < 0) return;
    ::close(fd);
    usable_ = true;
}

std::optional<CardRecord> CacheDirectory::readRecord(int dirFd, const char* name) const {
    Fd file{::openat(dirFd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
    struct stat st {};
    if (file.fd < 0 || ::fstat(file.fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() ||
        st.st_size <= 0 || static_cast<std::size_t>(st.st_size) > kMaxRecordSize || std::time(nullptr) - st.st_mtime > kMaxAge) {
        return std::nullopt;
    }
    Bytes content(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < content.size()) {
        const ssize_t n = ::read(file.fd, content.data() + got, content.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return std::nullopt;
        got += static_cast<std::size_t>(n);
    }
    std::optional<CardRecord> record = parseCardRecord(content);
    // A record filed under another card's name is foreign: never used.
    if (record && cacheFileName(record->serial) != name) return std::nullopt;
    return record;
}

std::vector<CardRecord> CacheDirectory::recordsFor(ByteView atr) const {
    std::vector<CardRecord> out;
    std::string ignored;
    Fd dir{openOwnDirectory(path_, ignored)};
    if (dir.fd < 0) return out;
    // Names from the listing; every file is opened relative to the checked directory fd.
    std::error_code ec;
    std::size_t seen = 0;
    for (std::filesystem::directory_iterator it(path_, ec), end; !ec && it != end && ++seen <= kMaxDirectoryEntries; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!isCacheName(name)) continue;
        std::optional<CardRecord> record = readRecord(dir.fd, name.c_str());
        if (record && std::equal(record->atr.begin(), record->atr.end(), atr.begin(), atr.end())) out.push_back(std::move(*record));
    }
    return out;
}

std::optional<CardRecord> CacheDirectory::load(ByteView serial) const {
    std::string ignored;
    Fd dir{openOwnDirectory(path_, ignored)};
    if (dir.fd < 0) return std::nullopt;
    return readRecord(dir.fd, cacheFileName(serial).c_str());
}

bool CacheDirectory::store(const CardRecord& record, std::string& why) const {
    if (record.serial.empty() || record.serial.size() > 32) {
        why = "no card serial to name the cache file";
        return false;
    }
    Fd dir{openOwnDirectory(path_, why)};
    if (dir.fd < 0) return false;
    const Bytes content = encodeCardRecord(record);
    if (content.size() > kMaxRecordSize) {
        why = "card data larger than a cache file may be";
        return false;
    }
    const std::string name = cacheFileName(record.serial);
    const Bytes nonce = apdu::plainCopy(apdu::crypto::randomBytes(8));
    const std::string temporary = "." + name + "." + apdu::toHex(nonce) + ".tmp";
    Fd file{::openat(dir.fd, temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)};
    if (file.fd < 0) {
        why = std::string("cannot create a cache file: ") + errnoText();
        return false;
    }
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(file.fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    const bool written = done == content.size() && ::fchmod(file.fd, 0600) == 0;
    if (!written || ::renameat(dir.fd, temporary.c_str(), dir.fd, name.c_str()) != 0) {
        why = std::string("cannot write the cache file: ") + errnoText();
        (void)::unlinkat(dir.fd, temporary.c_str(), 0);
        return false;
    }
    return true;
}

}  // namespace ias::card
