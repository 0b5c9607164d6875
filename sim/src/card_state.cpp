// SPDX-License-Identifier: Apache-2.0
#include "ias/sim/card_state.hpp"
#include "ias/sim/personality.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "ias/apdu/error.hpp"

namespace ias::sim {

using nlohmann::json;

namespace {

[[noreturn]] void malformed(const std::string& what) { throw apdu::Error(apdu::ErrorKind::Malformed, what); }

std::string hex(ByteView v) { return apdu::toHex(v); }
Bytes unhex(const json& j, const char* key) { return apdu::fromHex(j.at(key).get<std::string>()); }
SecureBytes unhexSecret(const json& j, const char* key) {
    std::string s = j.at(key).get<std::string>();
    Bytes b = apdu::fromHex(s);
    SecureBytes out(b.begin(), b.end());
    apdu::wipeMemory(s.data(), s.size());
    apdu::wipeMemory(b.data(), b.size());
    return out;
}

std::uint8_t byteOf(const json& j, const char* key) {
    const int v = j.at(key).get<int>();
    if (v < 0 || v > 0xFF) malformed(std::string("state: ") + key + " out of range");
    return static_cast<std::uint8_t>(v);
}

json fileToJson(const FileNode& f) {
    json j = {{"fid", f.fid}, {"df", f.isDf}, {"acl", hex(f.acl)}};
    if (!f.aid.empty()) j["aid"] = hex(f.aid);
    if (f.sfi != 0) j["sfi"] = f.sfi;
    if (!f.isDf) j["content"] = hex(f.content);
    if (f.isDf) {
        j["children"] = json::array();
        for (const FileNode& c : f.children) j["children"].push_back(fileToJson(c));
    }
    return j;
}

FileNode fileFromJson(const json& j, unsigned depth) {
    if (depth > 8) malformed("state: file tree too deep");
    FileNode f;
    const int fid = j.at("fid").get<int>();
    if (fid < 0 || fid > 0xFFFF) malformed("state: bad FID");
    f.fid = static_cast<std::uint16_t>(fid);
    f.isDf = j.at("df").get<bool>();
    f.acl = unhex(j, "acl");
    if (j.contains("aid")) f.aid = unhex(j, "aid");
    if (j.contains("sfi")) f.sfi = byteOf(j, "sfi");
    if (!f.isDf) f.content = unhex(j, "content");
    if (f.isDf && j.contains("children")) {
        for (const json& c : j.at("children")) f.children.push_back(fileFromJson(c, depth + 1));
    }
    return f;
}

template <class T>
T* findByRef(std::vector<T>& v, std::uint8_t ref) {
    for (T& x : v) {
        if (x.ref == ref) return &x;
    }
    return nullptr;
}

void syncDirectory(const std::filesystem::path& dir) {
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

}  // namespace

PinObject* CardState::findPin(std::uint8_t ref) { return findByRef(pins, ref); }
KeyObject* CardState::findKey(std::uint8_t ref) { return findByRef(keys, ref); }
KeysetObject* CardState::findKeyset(std::uint8_t ref) { return findByRef(keysets, ref); }
const SecurityEnvironmentObject* CardState::findEnvironment(std::uint8_t ref) const {
    for (const auto& se : environments) {
        if (se.ref == ref) return &se;
    }
    return nullptr;
}

std::string CardState::toJson() const {
    json j;
    j["format"] = kFormatVersion;
    j["serial"] = hex(serial);
    j["label"] = label;
    j["personality"] = personality;
    j["mf"] = fileToJson(mf);
    j["pins"] = json::array();
    for (const PinObject& p : pins) {
        j["pins"].push_back({{"ref", p.ref}, {"value", hex(p.value)}, {"max_tries", p.maxTries},
                             {"tries_left", p.triesLeft}, {"min_length", p.minLength},
                             {"max_length", p.maxLength}, {"acl", hex(p.acl)}});
    }
    j["keys"] = json::array();
    for (const KeyObject& k : keys) {
        j["keys"].push_back({{"ref", k.ref}, {"kind", k.kind == KeyKind::Rsa ? "rsa" : "ec"},
                             {"pkcs8", hex(k.privateDer)}, {"acl", hex(k.acl)}});
    }
    j["keysets"] = json::array();
    for (const KeysetObject& k : keysets) {
        j["keysets"].push_back({{"ref", k.ref}, {"enc", hex(k.enc)}, {"mac", hex(k.mac)}, {"acl", hex(k.acl)}});
    }
    j["environments"] = json::array();
    for (const SecurityEnvironmentObject& se : environments) {
        j["environments"].push_back({{"ref", se.ref}, {"crts", hex(se.crts)}});
    }
    return j.dump(1);
}

CardState CardState::fromJson(const std::string& text) {
    try {
        const json j = json::parse(text);
        if (j.at("format").get<int>() != kFormatVersion) malformed("state: unsupported format version");
        CardState s;
        s.serial = unhex(j, "serial");
        s.label = j.at("label").get<std::string>();
        // State files written before personalities existed hold the default layout.
        s.personality = j.value("personality", std::string(kDefaultPersonality));
        if (!findPersonality(s.personality)) malformed("state: unknown personality");
        s.mf = fileFromJson(j.at("mf"), 0);
        for (const json& p : j.at("pins")) {
            PinObject pin;
            pin.ref = byteOf(p, "ref");
            pin.value = unhexSecret(p, "value");
            pin.maxTries = byteOf(p, "max_tries");
            pin.triesLeft = byteOf(p, "tries_left");
            pin.minLength = byteOf(p, "min_length");
            pin.maxLength = byteOf(p, "max_length");
            pin.acl = unhex(p, "acl");
            if (pin.triesLeft > pin.maxTries || pin.maxTries > 15) malformed("state: bad PIN counter");
            s.pins.push_back(std::move(pin));
        }
        for (const json& k : j.at("keys")) {
            KeyObject key;
            key.ref = byteOf(k, "ref");
            const std::string kind = k.at("kind").get<std::string>();
            if (kind != "rsa" && kind != "ec") malformed("state: unknown key kind");
            key.kind = kind == "rsa" ? KeyKind::Rsa : KeyKind::Ec;
            key.privateDer = unhexSecret(k, "pkcs8");
            key.acl = unhex(k, "acl");
            s.keys.push_back(std::move(key));
        }
        for (const json& k : j.at("keysets")) {
            KeysetObject ks;
            ks.ref = byteOf(k, "ref");
            ks.enc = unhexSecret(k, "enc");
            ks.mac = unhexSecret(k, "mac");
            ks.acl = unhex(k, "acl");
            if (ks.enc.size() != 16 || ks.mac.size() != 16) malformed("state: key set keys must be 16 bytes");
            s.keysets.push_back(std::move(ks));
        }
        for (const json& e : j.at("environments")) {
            s.environments.push_back({byteOf(e, "ref"), unhex(e, "crts")});
        }
        return s;
    } catch (const json::exception& e) {
        malformed(std::string("state: ") + e.what());
    }
}

void CardState::save(const std::filesystem::path& path) const {
    std::string text = toJson();
    const std::filesystem::path tmp = path.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw apdu::Error(apdu::ErrorKind::Internal, "cannot create " + tmp.string() + ": " + std::generic_category().message(errno));
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            ::close(fd);
            throw apdu::Error(apdu::ErrorKind::Internal, "cannot write " + tmp.string());
        }
        done += static_cast<std::size_t>(n);
    }
    apdu::wipeMemory(text.data(), text.size());
    if (::fsync(fd) != 0 || ::close(fd) != 0) throw apdu::Error(apdu::ErrorKind::Internal, "cannot sync " + tmp.string());
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        throw apdu::Error(apdu::ErrorKind::Internal, "cannot rename to " + path.string());
    }
    syncDirectory(path.parent_path());
}

CardState CardState::load(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw apdu::Error(apdu::ErrorKind::Internal, "cannot read card state " + path.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    CardState s = fromJson(text);
    apdu::wipeMemory(text.data(), text.size());
    return s;
}

}  // namespace ias::sim
