// The C header from C++ (built with g++ -std=c++17 -Wall -Wextra -Werror -pedantic): the header's
// extern "C" guard gives the functions C linkage, so this links against libskypebus; the handles
// are owned by std::unique_ptr with the library's free functions as deleters. Makes real calls
// on the private bus of DBUS_SESSION_BUS_ADDRESS (the test command's dbus-run-session).
//
// Prints one line per check and a closing "N passed, M failed" line; exits non-zero on failure.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "skypebus.h"

#include "check.h"

namespace {

struct ConnectionFree {
    void operator()(skypebus_connection *conn) const { skypebus_connection_free(conn); }
};
struct ErrorFree {
    void operator()(skypebus_error *err) const { skypebus_error_free(err); }
};
struct StringFree {
    void operator()(char *s) const { skypebus_string_free(s); }
};
using Connection = std::unique_ptr<skypebus_connection, ConnectionFree>;
using Error = std::unique_ptr<skypebus_error, ErrorFree>;
using String = std::unique_ptr<char, StringFree>;

// One call: the result code, the reply (empty on failure) and the error (null on success).
struct Outcome {
    skypebus_result result;
    std::string reply;
    Error error;
};

Outcome call(const Connection &conn, const std::string &request) {
    char *reply = nullptr;
    skypebus_error *err = nullptr;
    skypebus_result result = skypebus_call(conn.get(), request.c_str(), &reply, &err);
    String owned(reply);
    return Outcome{result, owned ? std::string(owned.get()) : std::string(), Error(err)};
}

}  // namespace

int main() {
    const char *address = std::getenv("DBUS_SESSION_BUS_ADDRESS");
    if (address == nullptr) {
        std::fprintf(stderr, "DBUS_SESSION_BUS_ADDRESS must point at a private bus\n");
        return 2;
    }
    CHECK(skypebus_abi_version() == SKYPEBUS_ABI_VERSION, "the library's ABI is the header's");
    CHECK(std::string(skypebus_version()).size() > 0, "skypebus_version() from C++");

    skypebus_connection *raw = nullptr;
    skypebus_error *open_error = nullptr;
    skypebus_result opened = skypebus_connection_open_private(address, &raw, &open_error);
    Connection conn(raw);
    Error open_failure(open_error);
    CHECK(opened == SKYPEBUS_OK && conn, "skypebus_connection_open_private on the private bus");
    if (!conn) {
        std::printf("# %s\n", open_failure ? skypebus_error_message(open_failure.get()) : "no error object");
        std::printf("%d passed, %d failed\n", passed, failed);
        return 1;
    }

    const std::string driver = R"("destination":"org.freedesktop.DBus","path":"/org/freedesktop/DBus",)"
                               R"("interface":"org.freedesktop.DBus")";
    Outcome id = call(conn, "{" + driver + R"(,"method":"GetId"})");
    // The bus id is 32 hex digits: the reply is {"type":"s","data":["<32 hex digits>"]}.
    const std::string prefix = R"({"type":"s","data":[")";
    CHECK(id.result == SKYPEBUS_OK && id.reply.size() == prefix.size() + 32 + 3 &&
              id.reply.compare(0, prefix.size(), prefix) == 0,
          "GetId of the bus driver replies with the bus id");
    if (id.result != SKYPEBUS_OK || id.reply.size() != prefix.size() + 32 + 3)
        std::printf("# %s\n", id.error ? skypebus_error_message(id.error.get()) : id.reply.c_str());

    Outcome missing = call(conn, "{" + driver + R"(,"method":"GetNameOwner","args":["org.example.Nobody"]})");
    CHECK(missing.result == SKYPEBUS_DBUS_ERROR && missing.error &&
              skypebus_error_code(missing.error.get()) == SKYPEBUS_DBUS_ERROR &&
              std::string(skypebus_error_name(missing.error.get())) ==
                  "org.freedesktop.DBus.Error.NameHasNoOwner",
          "a D-Bus error reply arrives as SKYPEBUS_DBUS_ERROR with its name");

    Outcome bad = call(conn, "{not json");
    CHECK(bad.result == SKYPEBUS_INVALID_JSON && bad.reply.empty(), "bad JSON is SKYPEBUS_INVALID_JSON");

    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
