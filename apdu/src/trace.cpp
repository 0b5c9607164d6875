// SPDX-License-Identifier: Apache-2.0
#include "ias/apdu/trace.hpp"

#include <utility>

namespace ias::apdu {

std::string TraceEntry::text() const {
    std::string out;
    switch (direction) {
        case TraceDirection::Command:
            out = "> #" + std::to_string(sequence) + " " + header;
            if (lc != 0) out += " Lc=" + std::to_string(lc);
            if (ne != 0) out += " Ne=" + std::to_string(ne);
            break;
        case TraceDirection::Response:
            out = "< #" + std::to_string(sequence) + " " + sw.describe() + " len=" + std::to_string(responseLength) +
                  " " + std::to_string(elapsed.count()) + "us";
            break;
        case TraceDirection::Failure:
            out = "! #" + std::to_string(sequence) + " " + header + " " + toString(error) + " " +
                  std::to_string(elapsed.count()) + "us";
            break;
    }
    if (redacted) out += " [redacted]";
    if (!dataHex.empty()) out += " data=" + dataHex;
    return out;
}

TracingChannel::TracingChannel(CardChannel& inner, TraceHook hook, TraceOptions options)
    : inner_(inner), hook_(std::move(hook)), options_(options) {}

void TracingChannel::emit(const TraceEntry& e) noexcept {
    if (!hook_) return;
    try {
        hook_(e);
    } catch (...) {
        // A trace must never change the outcome of a command.
    }
}

ResponseApdu TracingChannel::transmit(const CommandApdu& command) {
    TraceEntry e;
    e.sequence = ++sequence_;
    e.header = command.header();
    e.ins = command.ins;
    e.lc = command.data.size();
    e.ne = command.ne;
    e.redacted = command.sensitive;
    if (options_.includeCommandData && !command.sensitive && !command.data.empty()) {
        e.dataHex = toHex(command.data, ' ');
    }
    emit(e);
    e.dataHex.clear();

    const auto start = std::chrono::steady_clock::now();
    auto elapsed = [&] {
        return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    };
    try {
        ResponseApdu r = inner_.transmit(command);
        e.direction = TraceDirection::Response;
        e.elapsed = elapsed();
        e.sw = r.sw;
        e.responseLength = r.data.size();
        if (options_.includeResponseData && !command.sensitive && !r.data.empty()) e.dataHex = toHex(r.data, ' ');
        emit(e);
        return r;
    } catch (const Error& err) {
        e.direction = TraceDirection::Failure;
        e.elapsed = elapsed();
        e.error = err.kind();
        emit(e);
        throw;
    } catch (...) {
        e.direction = TraceDirection::Failure;
        e.elapsed = elapsed();
        e.error = ErrorKind::Internal;
        emit(e);
        throw;
    }
}

TraceHook ApduCounter::hook() {
    return [this](const TraceEntry& e) {
        if (e.direction == TraceDirection::Command) {
            commands_.fetch_add(1);
            perIns_[e.ins].fetch_add(1);
        } else if (e.direction == TraceDirection::Failure) {
            failures_.fetch_add(1);
        }
    };
}

void ApduCounter::reset() {
    commands_.store(0);
    failures_.store(0);
    for (auto& c : perIns_) c.store(0);
}

TraceHook combineHooks(TraceHook first, TraceHook second) {
    return [a = std::move(first), b = std::move(second)](const TraceEntry& e) {
        if (a) a(e);
        if (b) b(e);
    };
}

}  // namespace ias::apdu
