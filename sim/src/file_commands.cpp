// SPDX-License-Identifier: Apache-2.0
// SELECT and READ BINARY over the card's file tree (IAS-ECC-reference §2.3-§2.6).
#include <algorithm>

#include "ias/apdu/tlv.hpp"
#include "ias/sim/card.hpp"
#include "ias/sim/layout.hpp"
#include "handler_util.hpp"

namespace ias::sim {

using namespace detail;

namespace {

constexpr std::uint8_t kFdbWorkingEf = 0x01;
constexpr std::uint8_t kFdbDf = 0x38;
constexpr std::uint8_t kLcsActivated = 0x05;

// cppcheck-suppress constParameter ; returns a mutable pointer into df.children
FileNode* childByFid(FileNode& df, std::uint16_t fid) {
    for (FileNode& child : df.children) {
        if (child.fid == fid) return &child;
    }
    return nullptr;
}

// Depth-first search for a DF by name; fills `path` with the FIDs from the MF.
bool findByAid(FileNode& node, ByteView aid, std::vector<std::uint16_t>& path) {
    path.push_back(node.fid);
    if (node.isDf && !node.aid.empty() && std::equal(node.aid.begin(), node.aid.end(), aid.begin(), aid.end())) {
        return true;
    }
    for (FileNode& child : node.children) {
        if (child.isDf && findByAid(child, aid, path)) return true;
    }
    path.pop_back();
    return false;
}

// cppcheck-suppress constParameter ; returns a mutable pointer into df.children
FileNode* efBySfi(FileNode& df, std::uint8_t sfi) {
    for (FileNode& child : df.children) {
        if (!child.isDf && child.sfi == sfi) return &child;
    }
    return nullptr;
}

std::optional<std::vector<std::uint16_t>> fidsOf(ByteView data) {
    if (data.empty() || data.size() % 2 != 0) return std::nullopt;
    std::vector<std::uint16_t> fids;
    for (std::size_t i = 0; i < data.size(); i += 2) {
        fids.push_back(static_cast<std::uint16_t>(data[i] << 8 | data[i + 1]));
    }
    return fids;
}

}  // namespace

FileNode* Card::currentDf() {
    FileNode* node = &state_.mf;
    for (std::size_t i = 1; i < currentPath_.size(); ++i) {
        node = childByFid(*node, currentPath_[i]);
        if (!node) return nullptr;
    }
    return node;
}

FileNode* Card::currentEf() {
    FileNode* df = currentDf();
    if (!df || !currentEfFid_) return nullptr;
    return childByFid(*df, *currentEfFid_);
}

Bytes Card::fcpOf(const FileNode& node) const {
    apdu::TlvBuilder fcp;
    const auto fid = static_cast<std::uint8_t>(node.fid >> 8);
    const auto fidLo = static_cast<std::uint8_t>(node.fid & 0xFF);
    const auto size = node.content.size();
    const Bytes sizeBytes = {static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)};
    if (personality_->fcp == FcpStyle::Minimal) {
        // IDEMIA Cosmo v8: 62 04 80 02 <size> for EFs (realcards/lateid_idemia_v2 fcp). DFs are
        // selected with P2=0C in the traces (gap): descriptor, FID and name only.
        if (!node.isDf) return apdu::encodeTlv(0x62, apdu::encodeTlv(0x80, sizeBytes));
        fcp.addByte(0x82, kFdbDf).add(0x83, {fid, fidLo});
        if (!node.aid.empty()) fcp.add(0x84, node.aid);
        return apdu::encodeTlv(0x62, fcp.bytes());
    }
    if (node.isDf) {
        fcp.addByte(0x82, kFdbDf).add(0x83, {fid, fidLo});
        if (!node.aid.empty()) fcp.add(0x84, node.aid);
    } else {
        fcp.add(0x80, sizeBytes).addByte(0x82, kFdbWorkingEf).add(0x83, {fid, fidLo});
        if (node.sfi != 0) fcp.addByte(0x88, static_cast<std::uint8_t>(node.sfi << 3));
    }
    fcp.addByte(0x8A, kLcsActivated);
    apdu::TlvBuilder acls;
    acls.add(0x8C, node.acl);
    if (personality_->contactlessFcpAcl) acls.add(0x9C, node.acl);  // CPx FCPs: 8C and 9C (realcards/cpx [A])
    fcp.nest(0xA1, acls);
    return apdu::encodeTlv(0x62, fcp.bytes());
}

// SELECT: P1 00 (MF/FID), 01 (child DF), 02 (EF under current DF), 03 (parent), 04 (DF name),
// 08 (path from MF), 09 (path from current DF; a leading 3F00 means from the MF).
// P2 04 = FCP, 00 = FCI (same template here), 0C = no data.
ResponseApdu Card::selectFile(const CommandApdu& c) {
    if (c.p2 != 0x00 && c.p2 != 0x04 && c.p2 != 0x0C) return sw(StatusWord::kIncorrectP1P2);
    std::vector<std::uint16_t> dfPath = currentPath_;
    std::optional<std::uint16_t> ef;

    auto descend = [&](std::uint16_t fid, bool last) -> bool {
        FileNode* df = &state_.mf;
        for (std::size_t i = 1; i < dfPath.size(); ++i) df = childByFid(*df, dfPath[i]);
        FileNode* node = df ? childByFid(*df, fid) : nullptr;
        if (!node) return false;
        if (node->isDf) {
            dfPath.push_back(fid);
            ef.reset();
            return true;
        }
        if (!last) return false;  // an EF in the middle of a path
        ef = fid;
        return true;
    };

    switch (c.p1) {
        case 0x00: {
            if (c.data.empty() || (c.data.size() == 2 && c.data[0] == 0x3F && c.data[1] == 0x00)) {
                dfPath = {layout::kFidMf};
                break;
            }
            const auto fids = fidsOf(c.data);
            if (!fids || fids->size() != 1) return sw(StatusWord::kWrongData);
            if (!descend(fids->front(), true)) {
                // ISO also allows a sibling DF / EF of the parent.
                if (dfPath.size() < 2) return sw(StatusWord::kFileNotFound);
                dfPath.pop_back();
                if (!descend(fids->front(), true)) return sw(StatusWord::kFileNotFound);
            }
            break;
        }
        case 0x01:
        case 0x02: {
            const auto fids = fidsOf(c.data);
            if (!fids || fids->size() != 1) return sw(StatusWord::kWrongData);
            if (fids->front() == layout::kFidMf && personality_->mfFidSelectableAnywhere) {
                dfPath = {layout::kFidMf};
                ef.reset();
                break;
            }
            if (!descend(fids->front(), true)) return sw(StatusWord::kFileNotFound);
            if (c.p1 == 0x01 && ef && !personality_->p1SelectsEfAsChild) return sw(StatusWord::kFileNotFound);
            break;
        }
        case 0x03:
            if (!c.data.empty()) return sw(StatusWord::kWrongData);
            if (dfPath.size() < 2) return sw(StatusWord::kFileNotFound);
            dfPath.pop_back();
            break;
        case 0x04: {
            if (c.data.empty() || c.data.size() > 16) return sw(StatusWord::kWrongData);
            const auto& names = personality_->mfNames;
            if (std::any_of(names.begin(), names.end(),
                            [&](const Bytes& n) { return std::equal(n.begin(), n.end(), c.data.begin(), c.data.end()); })) {
                dfPath = {layout::kFidMf};  // a name of the IAS-ECC root (personality.cpp)
                ef.reset();
                break;
            }
            std::vector<std::uint16_t> found;
            if (!findByAid(state_.mf, c.data, found)) return sw(StatusWord::kFileNotFound);
            dfPath = found;
            break;
        }
        case 0x08:
        case 0x09: {
            auto fids = fidsOf(c.data);
            if (!fids) return sw(StatusWord::kWrongData);
            if (c.p1 == 0x08 || fids->front() == layout::kFidMf) {
                dfPath = {layout::kFidMf};
                if (fids->front() == layout::kFidMf) fids->erase(fids->begin());
            }
            for (std::size_t i = 0; i < fids->size(); ++i) {
                if (!descend((*fids)[i], i + 1 == fids->size())) return sw(StatusWord::kFileNotFound);
            }
            break;
        }
        default:
            return sw(StatusWord::kIncorrectP1P2);
    }

    // The personality's SELECT rules, checked on the resolved target, before any state change.
    const bool isMf = !ef && dfPath.size() == 1;
    const bool mfWithoutFcp = isMf && personality_->mfAnswersWithoutFcp;
    if (!mfWithoutFcp) {
        for (const SelectRefusal& r : personality_->refusedSelects) {
            if (r.p1 == c.p1 && r.p2 == c.p2) return sw(r.sw);
        }
    }
    const bool dfChanged = dfPath != currentPath_;
    currentPath_ = dfPath;
    currentEfFid_ = ef;
    if (dfChanged || c.p1 == 0x04) {
        // Selecting an application (or the MF) ends the role authentication (UNBLOCK.md).
        externalAuthKeyset_.reset();
    }
    if (c.p2 == 0x0C || mfWithoutFcp) return sw(StatusWord::kSuccess);
    const FileNode* node = ef ? currentEf() : currentDf();
    return ok(fcpOf(*node));
}

// READ BINARY: P1 bit 8 set = SFI in P1 bits 1-5 with the offset in P2; otherwise a 15-bit
// offset in the current EF. Fewer bytes than asked: what is left, 90 00; at the end: 62 82.
ResponseApdu Card::readBinary(const CommandApdu& c) {
    if (!c.data.empty()) return sw(StatusWord::kWrongLength);
    FileNode* ef = nullptr;
    std::size_t offset = 0;
    if (c.p1 & 0x80) {
        if (c.p1 & 0x60) return sw(StatusWord::kIncorrectP1P2);
        FileNode* df = currentDf();
        ef = df ? efBySfi(*df, c.p1 & 0x1F) : nullptr;
        if (!ef) return sw(StatusWord::kFileNotFound);
        currentEfFid_ = ef->fid;
        offset = c.p2;
    } else {
        ef = currentEf();
        if (!ef) return sw(StatusWord::kCommandNotAllowed);  // no current EF
        offset = static_cast<std::size_t>(c.p1) << 8 | c.p2;
    }
    if (!scbSatisfied(scbFor(ef->acl, amb::kRead))) return sw(StatusWord::kSecurityNotSatisfied);
    if (offset > ef->content.size()) return sw(StatusWord::kWrongP1P2);
    if (offset == ef->content.size()) return sw(StatusWord::kEndOfFile);
    const std::size_t ne = c.ne == 0 ? 256 : c.ne;
    const std::size_t n = std::min(ne, ef->content.size() - offset);
    return ok(ByteView(ef->content).subspan(offset, n));
}

}  // namespace ias::sim
