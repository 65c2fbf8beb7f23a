#pragma once
/// TCP client sessions for the socket receivers (`socketTextStream`, `rawSocketStream`).

#include <ember/codec.hpp>
#include <ember/error.hpp>
#include <ember/logging.hpp>
#include <ember/receiver.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

namespace ember::detail {

/// Connects to `host:port` and passes every chunk of received bytes to `on_bytes` until the
/// peer closes, an error occurs, `on_bytes` throws, or `receiver.isStopped()`. Returns why
/// the session ended (empty when stopped). Polls, so a stop is noticed within 100 ms.
std::string runSocketSession(const std::string& host, int port, const ReceiverBase& receiver,
                             const std::function<void(std::string_view)>& on_bytes);

/// Base of receivers that run one socket session at a time on a thread of their own and
/// restart (after `ember.streaming.receiverRestartDelay`) when it ends.
template <class T>
class SocketReceiverBase : public Receiver<T> {
 public:
  SocketReceiverBase(std::string host, int port) : host_(std::move(host)), port_(port) {}
  ~SocketReceiverBase() override { joinThread(); }

  void onStart() override {
    joinThread();
    thread_ = std::thread([this] {
      resetSession();
      std::string why =
          runSocketSession(host_, port_, *this, [this](std::string_view bytes) { onBytes(bytes); });
      finishSession();
      if (!this->isStopped()) this->restart(why);
    });
  }
  void onStop() override { joinThread(); }
  std::string name() const override { return kind() + " " + host_ + ":" + std::to_string(port_); }

 protected:
  virtual std::string kind() const = 0;
  virtual void resetSession() = 0;
  virtual void onBytes(std::string_view bytes) = 0;
  /// The connection ended: deliver what is buffered, if it is worth delivering.
  virtual void finishSession() = 0;

 private:
  void joinThread() {
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }
  std::string host_;
  int port_;
  std::thread thread_;
};

/// Splits received bytes into lines ('\n', with a trailing '\r' removed); bytes are kept
/// as they are (no UTF-8 decoding, nothing lost). A line longer than `max_line` is
/// delivered in pieces of `max_line` bytes with a warning.
class LineSocketReceiver final : public SocketReceiverBase<std::string> {
 public:
  LineSocketReceiver(std::string host, int port, size_t max_line)
      : SocketReceiverBase(std::move(host), port), max_line_(max_line) {}

 protected:
  std::string kind() const override { return "SocketReceiver"; }
  void resetSession() override {
    partial_.clear();
    lines_.clear();
  }
  void onBytes(std::string_view bytes) override;
  void finishSession() override;

 private:
  /// Queues `line` for the next store; drops a trailing '\r' if it ends a line whose '\r'
  /// before the newline has not been dropped yet (exactly one is).
  void deliver(std::string line, bool end_of_line);
  size_t max_line_;
  std::string partial_;
  std::vector<std::string> lines_;
  bool warned_long_line_ = false;
};

/// Cuts a byte stream into frames (4-byte big-endian length, then `encode(std::vector<T>)`)
/// and decodes each, bounded by `max_frame` both in bytes on the wire and in memory once
/// decoded (small encodings can stand for large objects: an empty string is 1 byte encoded,
/// 32 in memory).
template <class T>
class FrameDecoder {
 public:
  explicit FrameDecoder(uint32_t max_frame) : max_frame_(max_frame) {}

  /// Takes the next `bytes` of the stream and calls `deliver(std::vector<T>&&)` for every
  /// frame they complete. Throws `DecodeError` naming the frame that is too large or
  /// cannot be decoded.
  template <class Deliver>
  void feed(std::string_view bytes, Deliver&& deliver) {
    buffer_.append(bytes);
    size_t pos = 0;
    while (buffer_.size() - pos >= 4) {
      const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + pos);
      uint32_t len = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
      if (len > max_frame_) {
        throw DecodeError("frame " + std::to_string(frames_) + " announces " + std::to_string(len) +
                          " bytes, more than ember.streaming.socket.maxFrameSize (" +
                          std::to_string(max_frame_) + ")");
      }
      if (buffer_.size() - pos - 4 < len) break;
      std::string_view frame(buffer_.data() + pos + 4, len);
      ByteReader count_reader(frame);
      uint64_t count = frame.empty() ? 0 : count_reader.readVarint();
      if (count > max_frame_ / sizeof(T)) {
        throw DecodeError("frame " + std::to_string(frames_) + " holds " + std::to_string(count) +
                          " records, " + std::to_string(count * sizeof(T)) +
                          " bytes in memory, more than ember.streaming.socket.maxFrameSize (" +
                          std::to_string(max_frame_) + ")");
      }
      std::vector<T> records;
      try {
        records = decode<std::vector<T>>(frame);
      } catch (const DecodeError& e) {
        throw DecodeError("frame " + std::to_string(frames_) + " cannot be decoded: " + e.what());
      }
      pos += 4 + len;
      ++frames_;
      deliver(std::move(records));
    }
    buffer_.erase(0, pos);
  }
  /// Bytes of a frame not complete yet.
  size_t pending() const { return buffer_.size(); }
  uint64_t frames() const { return frames_; }
  void reset() {
    buffer_.clear();
    frames_ = 0;
  }

 private:
  uint32_t max_frame_;
  std::string buffer_;
  uint64_t frames_ = 0;
};

/// Splits received bytes into frames (see `FrameDecoder`) and stores each as one block.
template <class T>
class RawSocketReceiver final : public SocketReceiverBase<T> {
  static_assert(!Own<T>::kBorrows,
                "rawSocketStream needs an owning element type (std::string, not std::string_view)");

 public:
  /// `max_frame`: ember.streaming.socket.maxFrameSize, for bytes on the wire and decoded.
  RawSocketReceiver(std::string host, int port, uint32_t max_frame)
      : SocketReceiverBase<T>(std::move(host), port), frames_(max_frame) {}

 protected:
  std::string kind() const override { return "RawSocketReceiver"; }
  void resetSession() override { frames_.reset(); }
  void onBytes(std::string_view bytes) override {
    frames_.feed(bytes, [this](std::vector<T>&& records) { this->store(std::move(records)); });
  }
  void finishSession() override {
    if (frames_.pending() != 0) {
      logWarn("RawSocketReceiver", this->name() + ": connection ended inside a frame; " +
                                       std::to_string(frames_.pending()) +
                                       " bytes of an incomplete frame dropped");
    }
  }

 private:
  FrameDecoder<T> frames_;
};

}  // namespace ember::detail
