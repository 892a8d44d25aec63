/* Provisional copy of include/skypebus.h, written from the agreed C ABI until the cbindgen
 * header lands; replace it with `cp include/skypebus.h php-ffi/include/skypebus.h`. */
#define FFI_SCOPE "SKYPEBUS"
#define FFI_LIB "libskypebus.so.0"

#include <stdint.h>

typedef enum skypebus_result {
  SKYPEBUS_OK = 0,
  SKYPEBUS_DBUS_ERROR = 1,
  SKYPEBUS_TIMEOUT = 2,
  SKYPEBUS_INVALID_JSON = 3,
  SKYPEBUS_INVALID_REQUEST = 4,
  SKYPEBUS_TYPE_MISMATCH = 5,
  SKYPEBUS_INVALID_SIGNATURE = 6,
  SKYPEBUS_INVALID_NAME = 7,
  SKYPEBUS_INVALID_UTF8 = 8,
  SKYPEBUS_NULL_ARGUMENT = 9,
  SKYPEBUS_DISCONNECTED = 10,
  SKYPEBUS_CONNECT_FAILED = 11,
  SKYPEBUS_LIMIT_EXCEEDED = 12,
  SKYPEBUS_INVALID_MESSAGE = 13,
  SKYPEBUS_NOT_SUPPORTED = 14,
  SKYPEBUS_IO_ERROR = 15,
  SKYPEBUS_PANIC = 16,
  SKYPEBUS_SKYPE_ERROR = 17,
  SKYPEBUS_EMPTY = 18,
} skypebus_result;

typedef struct skypebus_connection skypebus_connection;
typedef struct skypebus_error skypebus_error;

const char *skypebus_version(void);
uint32_t skypebus_abi_version(void);
skypebus_result skypebus_connection_open(const char *address, skypebus_connection **out, skypebus_error **err);
void skypebus_connection_free(skypebus_connection *conn);
skypebus_result skypebus_connection_unique_name(skypebus_connection *conn, char **out, skypebus_error **err);
skypebus_result skypebus_call(skypebus_connection *conn, const char *request_json, char **reply_json_out, skypebus_error **err);
void skypebus_string_free(char *s);
skypebus_result skypebus_error_code(const skypebus_error *err);
const char *skypebus_error_name(const skypebus_error *err);
const char *skypebus_error_message(const skypebus_error *err);
int64_t skypebus_error_skype_code(const skypebus_error *err);
void skypebus_error_free(skypebus_error *err);
