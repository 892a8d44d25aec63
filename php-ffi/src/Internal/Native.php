<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Exception\SkypeBusException;

/**
 * The one class that touches PHP's FFI: it loads the C declarations (for SkypeBus\Library,
 * which decides where from), and it makes every call into libskypebus, with the C ABI's
 * protocol around it: out-parameters allocated and read here, strings and byte buffers the
 * library returns copied and freed here, and a failed result turned into its exception here
 * (fail(), through Errors::exceptionFor()). Nothing outside this class sees an FFI type except
 * the opaque handles (skypebus_connection *, skypebus_skype *), which the classes owning them
 * pass back in and free through this class.
 *
 * One instance per process (Library::native()). Handles are borrowed for the length of one
 * method call; no method keeps one.
 *
 * @internal
 */
final class Native
{
    private const PROBE = 'uint32_t skypebus_abi_version(void); const char *skypebus_version(void);';

    /** @var \FFI */
    private $ffi;

    /** Bytes of call()'s reply buffer at first: replies up to this size need no allocation to free. */
    private const REPLY_BUFFER = 65536;

    /**
     * The largest size the reply buffer grows to: after a reply of up to this many bytes came in
     * a buffer of its own, the reused one grows to hold it, so that a program that keeps
     * receiving large replies (a megabyte of bytes) has them written in place, not into fresh
     * memory each time.
     */
    private const REPLY_BUFFER_MAX = 8388608;

    /** @var int bytes of $replyBuffer */
    private $replyCapacity = self::REPLY_BUFFER;

    /** @var \FFI\CData call()'s reply buffer (uint8_t[$replyCapacity]), reused by every call() */
    private $replyBuffer;

    /** @var \FFI\CData the length of call()'s reply (size_t) */
    private $replyLength;

    /** @var \FFI\CData a reply too large for the buffer (uint8_t *), else NULL */
    private $bigReply;

    /** @var \FFI\CData call()'s error out-parameter (skypebus_error *) */
    private $callError;

    /** @var list<\FFI\CData> the addresses of call()'s out-parameters, in argument order */
    private $callAddresses;

    private function __construct(\FFI $ffi)
    {
        $this->ffi = $ffi;
    }

    // ---- Loading ------------------------------------------------------------------------

    /** Whether ext-ffi is loaded. */
    public static function available(): bool
    {
        return extension_loaded('ffi') && class_exists(\FFI::class, false);
    }

    /**
     * The library preloaded into the FFI scope $scope (ffi.preload=, opcache.preload), if any.
     */
    public static function scope(string $scope): ?self
    {
        try {
            return new self(\FFI::scope($scope));
        } catch (\FFI\Exception $e) {
            return null;
        }
    }

    /**
     * The library at $path with the C declarations $declarations, or FFI's reason for refusing
     * them (a string).
     *
     * @return self|string
     */
    public static function cdef(string $declarations, string $path)
    {
        try {
            return new self(\FFI::cdef($declarations, $path));
        } catch (\FFI\Exception $e) {
            return $e->getMessage();
        }
    }

    /**
     * Loads a header file with FFI::load() (preloading); null when it worked, else FFI's reason.
     */
    public static function load(string $file): ?string
    {
        try {
            \FFI::load($file);
            return null;
        } catch (\FFI\Exception $e) {
            return $e->getMessage();
        }
    }

    /**
     * The ABI number and version string of the library at $path (a file or a name on the
     * linker path), or FFI's reason for not loading it (a string).
     *
     * @return array{0: int, 1: string}|string
     */
    public static function probe(string $path)
    {
        try {
            $probe = \FFI::cdef(self::PROBE, $path);
        } catch (\FFI\Exception $e) {
            return $e->getMessage();
        }
        return [(int) $probe->skypebus_abi_version(), self::text($probe->skypebus_version())];
    }

    /** skypebus_version(): the version string of the loaded library, such as "0.1.0". */
    public function version(): string
    {
        return self::text($this->ffi->skypebus_version());
    }

    /** skypebus_abi_version() */
    public function abiVersion(): int
    {
        return (int) $this->ffi->skypebus_abi_version();
    }

    // ---- Connections --------------------------------------------------------------------

    /**
     * skypebus_connection_open(), or _open_private(): a connection handle, to be freed with
     * freeConnection().
     *
     * @throws SkypeBusException
     */
    public function connect(string $address, bool $private): \FFI\CData
    {
        $connection = $this->ffi->new('skypebus_connection*');
        $error = $this->ffi->new('skypebus_error*');
        $result = $private
            ? $this->ffi->skypebus_connection_open_private($address, \FFI::addr($connection), \FFI::addr($error))
            : $this->ffi->skypebus_connection_open($address, \FFI::addr($connection), \FFI::addr($error));
        if ($result !== ResultCode::OK) {
            $this->fail($result, $error);
        }
        return $connection;
    }

    /** skypebus_connection_free() */
    public function freeConnection(\FFI\CData $connection): void
    {
        $this->ffi->skypebus_connection_free($connection);
    }

    /** @throws SkypeBusException */
    public function setTimeout(\FFI\CData $connection, int $milliseconds): void
    {
        $this->run('skypebus_connection_set_timeout', $connection, $milliseconds);
    }

    /** @throws SkypeBusException */
    public function uniqueName(\FFI\CData $connection): string
    {
        return $this->textOut('skypebus_connection_unique_name', $connection);
    }

    public function isShared(\FFI\CData $connection): bool
    {
        return (bool) $this->ffi->skypebus_connection_is_shared($connection);
    }

    // ---- Calls --------------------------------------------------------------------------

    /**
     * skypebus_call_into(): the reply in $format, HeaderConstants::REPLY_PHP (the text of
     * serialize() of the list of its values) or REPLY_JSON (the reply envelope). The hot path of
     * every method call, one crossing into the library: the reply is written into a buffer
     * made once and reused (a PHP thread makes one call at a time), and only a reply larger than
     * that buffer comes in a new one, copied and freed here; the out-parameters are made once
     * too, and the error one is read only when the call failed.
     *
     * A large reply of one array of numbers comes as the list of that one value instead
     * (packedList()).
     *
     * @return string|list<mixed>
     * @throws SkypeBusException
     */
    public function call(\FFI\CData $connection, string $request, int $format)
    {
        [$lengthAddress, $bigAddress, $errorAddress] = $this->callAddresses ?? $this->callOutputs();
        $result = $this->ffi->skypebus_call_into(
            $connection,
            $request,
            $format,
            $this->replyBuffer,
            $this->replyCapacity,
            $lengthAddress,
            $bigAddress,
            $errorAddress
        );
        return $this->callReply($result);
    }

    /**
     * skypebus_call_packed_into(): call() with the arguments as the message body $body, packed
     * by BodyPacker for the request's signature (the library checks it before sending). The
     * PHP string is handed to the library as it is (a const char * borrows its bytes).
     *
     * @return string|list<mixed> as call()
     * @throws SkypeBusException
     */
    public function callPacked(\FFI\CData $connection, string $request, string $body, int $format)
    {
        [$lengthAddress, $bigAddress, $errorAddress] = $this->callAddresses ?? $this->callOutputs();
        $result = $this->ffi->skypebus_call_packed_into(
            $connection,
            $request,
            $body,
            strlen($body),
            $format,
            $this->replyBuffer,
            $this->replyCapacity,
            $lengthAddress,
            $bigAddress,
            $errorAddress
        );
        return $this->callReply($result);
    }

    /**
     * The reply buffer and out-parameters of call() and callPacked(), made on first use.
     *
     * @return list<\FFI\CData> their addresses, in argument order
     */
    private function callOutputs(): array
    {
        $this->replyBuffer = $this->ffi->new('uint8_t[' . $this->replyCapacity . ']');
        $this->replyLength = $this->ffi->new('size_t');
        $this->bigReply = $this->ffi->new('uint8_t*');
        $this->callError = $this->ffi->new('skypebus_error*');
        return $this->callAddresses = [
            \FFI::addr($this->replyLength),
            \FFI::addr($this->bigReply),
            \FFI::addr($this->callError),
        ];
    }

    /**
     * The reply of call() or callPacked() that returned $result: from the reused buffer, or
     * copied out of a large one, which is freed.
     *
     * @return string|list<mixed> as call()
     * @throws SkypeBusException
     */
    private function callReply(int $result)
    {
        if ($result !== 0) {
            $this->fail($result, $this->callError);
        }
        $length = $this->replyLength->cdata;
        $big = $this->bigReply;
        $reply = \FFI::isNull($big) ? $this->replyBuffer : $big;
        try {
            if ($length >= self::PACKED_LIST_MIN && $reply[0] === 0x50) {
                // One "ay" ("Py"): its bytes become the PHP string in one copy.
                if ($reply[1] === 0x79) {
                    return [\FFI::string(\FFI::addr($reply[2]), $length - 2)];
                }
                $list = $this->packedList($reply, $length);
                if ($list !== null) {
                    return [$list];
                }
            }
            return $length === 0 ? '' : \FFI::string($reply, $length);
        } finally {
            if ($reply === $big) {
                $this->ffi->skypebus_bytes_free($big, $length);
                if ($length <= self::REPLY_BUFFER_MAX) {
                    // Grown by powers of two: the next reply of this size is written in place.
                    $capacity = $this->replyCapacity;
                    while ($capacity < $length) {
                        $capacity *= 2;
                    }
                    $this->replyBuffer = $this->ffi->new('uint8_t[' . $capacity . ']');
                    $this->replyCapacity = $capacity;
                }
            }
        }
    }

    /** Packed replies at least this long are read here (packedList(), and "Py" bytes). */
    private const PACKED_LIST_MIN = 1024;

    /** The C type of the elements of the packed arrays packedList() reads, by type code. */
    private const PACKED_LIST_TYPES = ['n' => 'int16_t', 'q' => 'uint16_t', 'i' => 'int32_t', 'u' => 'uint32_t', 'x' => 'int64_t', 'd' => 'double'];

    /**
     * The elements of a packed reply of one array of numbers ("P", the type code, the elements
     * little endian: HeaderConstants::REPLY_PHP with "arrays": "base64") as a PHP list, read
     * by FFI straight from the library's memory: copied once into an aligned C array, then one
     * PHP value per element, which costs about 250 instructions per element where unpack() of a
     * PHP string of them costs about 430 (it makes a string key per element). Null for the
     * other types (t, whose values above PHP_INT_MAX become strings) and for a length that is
     * not whole elements: ReplyDecoder reads those.
     *
     * @return list<int|float>|null
     */
    private function packedList(\FFI\CData $reply, int $length): ?array
    {
        $type = self::PACKED_LIST_TYPES[chr($reply[1])] ?? null;
        if ($type === null) {
            return null;
        }
        $size = \FFI::sizeof($this->ffi->type($type));
        $count = intdiv($length - 2, $size);
        if ($count * $size !== $length - 2) {
            return null;
        }
        $elements = $this->ffi->new($type . '[' . $count . ']');
        \FFI::memcpy($elements, \FFI::addr($reply[2]), $count * $size);
        $list = [];
        foreach ($elements as $element) {
            $list[] = $element;
        }
        return $list;
    }

    /**
     * skypebus_call_many(): the JSON list of the replies.
     *
     * @throws SkypeBusException
     */
    public function callMany(\FFI\CData $connection, string $json): string
    {
        return $this->textOut('skypebus_call_many', $connection, $json);
    }

    // ---- Asynchronous calls -------------------------------------------------------------

    /**
     * skypebus_call_start(): a pending-call handle, to be freed with freePending().
     *
     * @throws SkypeBusException
     */
    public function callStart(\FFI\CData $connection, string $request): \FFI\CData
    {
        $pending = $this->ffi->new('skypebus_pending_call*');
        $this->run('skypebus_call_start', $connection, $request, \FFI::addr($pending));
        return $pending;
    }

    /** skypebus_pending_call_id(): the id its call_finished event names. */
    public function pendingId(\FFI\CData $pending): int
    {
        return (int) $this->ffi->skypebus_pending_call_id($pending);
    }

    /** skypebus_pending_call_ready() */
    public function pendingReady(\FFI\CData $pending): bool
    {
        return (bool) $this->ffi->skypebus_pending_call_ready($pending);
    }

    /**
     * skypebus_pending_call_wait(): the reply envelope, or null when the call did not finish
     * within $milliseconds (0: only if it has).
     *
     * @throws SkypeBusException the call's own error
     */
    public function pendingWait(\FFI\CData $pending, int $milliseconds): ?string
    {
        return $this->nextText('skypebus_pending_call_wait', $pending, $milliseconds);
    }

    /** skypebus_pending_call_cancel(): true when the call was running and is now cancelled. */
    public function pendingCancel(\FFI\CData $pending): bool
    {
        return (bool) $this->ffi->skypebus_pending_call_cancel($pending);
    }

    /** skypebus_pending_call_free() */
    public function freePending(\FFI\CData $pending): void
    {
        $this->ffi->skypebus_pending_call_free($pending);
    }

    /**
     * skypebus_properties(): the reply's JSON text.
     *
     * @throws SkypeBusException
     */
    public function properties(\FFI\CData $connection, string $json): string
    {
        return $this->textOut('skypebus_properties', $connection, $json);
    }

    /**
     * skypebus_introspect(): the object's introspection data as JSON.
     *
     * @throws SkypeBusException
     */
    public function introspect(\FFI\CData $connection, string $json): string
    {
        return $this->textOut('skypebus_introspect', $connection, $json);
    }

    // ---- Signals ------------------------------------------------------------------------

    /**
     * skypebus_subscribe(): the new subscription's id.
     *
     * @throws SkypeBusException
     */
    public function subscribe(\FFI\CData $connection, string $json): int
    {
        $id = $this->ffi->new('uint64_t');
        $this->run('skypebus_subscribe', $connection, $json, \FFI::addr($id));
        return (int) $id->cdata;
    }

    /** @throws SkypeBusException */
    public function unsubscribe(\FFI\CData $connection, int $id): void
    {
        $this->run('skypebus_unsubscribe', $connection, $id);
    }

    /** @throws SkypeBusException */
    public function emit(\FFI\CData $connection, string $json): void
    {
        $this->run('skypebus_emit', $connection, $json);
    }

    // ---- Events -------------------------------------------------------------------------

    /**
     * skypebus_next_event(): the next event's JSON text, waiting up to $milliseconds; null when
     * none came (SKYPEBUS_EMPTY).
     *
     * @throws SkypeBusException
     */
    public function nextEvent(\FFI\CData $connection, int $milliseconds): ?string
    {
        return $this->nextText('skypebus_next_event', $connection, $milliseconds);
    }

    /**
     * skypebus_event_stats(): the event machinery's counters as JSON.
     *
     * @throws SkypeBusException
     */
    public function eventStats(\FFI\CData $connection): string
    {
        return $this->textOut('skypebus_event_stats', $connection);
    }

    /** @throws SkypeBusException */
    public function setEventOptions(\FFI\CData $connection, string $json): void
    {
        $this->run('skypebus_connection_set_event_options', $connection, $json);
    }

    /**
     * skypebus_connection_event_fd(): a new duplicate of the event descriptor.
     *
     * @throws SkypeBusException
     */
    public function eventFd(\FFI\CData $connection): int
    {
        $fd = $this->ffi->new('int32_t');
        $this->run('skypebus_connection_event_fd', $connection, \FFI::addr($fd));
        return (int) $fd->cdata;
    }

    /**
     * skypebus_dropped_signals()
     *
     * @throws SkypeBusException
     */
    public function droppedSignals(\FFI\CData $connection): int
    {
        $count = $this->ffi->new('uint64_t');
        $this->run('skypebus_dropped_signals', $connection, \FFI::addr($count));
        return (int) $count->cdata;
    }

    // ---- Names --------------------------------------------------------------------------

    /**
     * skypebus_request_name(): the bus' answer (1 to 4).
     *
     * @throws SkypeBusException
     */
    public function requestName(\FFI\CData $connection, string $name, int $flags): int
    {
        $answer = $this->ffi->new('uint32_t');
        $this->run('skypebus_request_name', $connection, $name, $flags, \FFI::addr($answer));
        return (int) $answer->cdata;
    }

    /**
     * skypebus_release_name(): the bus' answer (1 to 3).
     *
     * @throws SkypeBusException
     */
    public function releaseName(\FFI\CData $connection, string $name): int
    {
        $answer = $this->ffi->new('uint32_t');
        $this->run('skypebus_release_name', $connection, $name, \FFI::addr($answer));
        return (int) $answer->cdata;
    }

    // ---- Serving ------------------------------------------------------------------------

    /** @throws SkypeBusException */
    public function export(\FFI\CData $connection, string $path, string $xml, string $json): void
    {
        $this->run('skypebus_export', $connection, $path, $xml, $json);
    }

    /**
     * skypebus_export_schema(): the schema the library would serve for $xml, as JSON. Needs no
     * connection.
     *
     * @throws SkypeBusException (InvalidArgumentException for XML the library refuses)
     */
    public function exportSchema(string $xml): string
    {
        return $this->textOut('skypebus_export_schema', $xml);
    }

    /** @throws SkypeBusException */
    public function unexport(\FFI\CData $connection, string $path): void
    {
        $this->run('skypebus_unexport', $connection, $path);
    }

    /** @throws SkypeBusException */
    public function setProperty(\FFI\CData $connection, string $path, string $interface, string $name, string $json): void
    {
        $this->run('skypebus_set_property', $connection, $path, $interface, $name, $json);
    }

    /**
     * skypebus_reply(): null when the reply went out, else [result code, the library's
     * message]. Never throws: the caller decides what a refused reply becomes.
     *
     * @return array{0: int, 1: string}|null
     */
    public function reply(\FFI\CData $connection, int $call, ?string $json): ?array
    {
        $error = $this->ffi->new('skypebus_error*');
        $result = $this->ffi->skypebus_reply($connection, $call, $json, \FFI::addr($error));
        if ($result === ResultCode::OK) {
            return null;
        }
        $message = 'result ' . $result;
        if (!\FFI::isNull($error)) {
            $message = self::text($this->ffi->skypebus_error_message($error));
            $this->ffi->skypebus_error_free($error);
        }
        return [$result, $message];
    }

    /**
     * skypebus_reply_error(): the result code. Never throws.
     */
    public function replyError(\FFI\CData $connection, int $call, string $name, string $message): int
    {
        $error = $this->ffi->new('skypebus_error*');
        $result = $this->ffi->skypebus_reply_error($connection, $call, $name, $message, \FFI::addr($error));
        if ($result !== ResultCode::OK && !\FFI::isNull($error)) {
            $this->ffi->skypebus_error_free($error);
        }
        return $result;
    }

    // ---- Skype --------------------------------------------------------------------------

    /**
     * skypebus_skype_attach(): a Skype handle, to be freed with freeSkype().
     *
     * @throws SkypeBusException
     */
    public function skypeAttach(string $address, string $appName, int $protocol, int $milliseconds): \FFI\CData
    {
        $out = $this->ffi->new('skypebus_skype*');
        $this->run('skypebus_skype_attach', $address, $appName, $protocol, $milliseconds, \FFI::addr($out));
        return $out;
    }

    public function skypeProtocol(\FFI\CData $skype): int
    {
        return (int) $this->ffi->skypebus_skype_protocol($skype);
    }

    /** @throws SkypeBusException */
    public function skypeCommand(\FFI\CData $skype, string $command, int $milliseconds): string
    {
        return $this->textOut('skypebus_skype_command', $skype, $command, $milliseconds);
    }

    /**
     * skypebus_skype_send_chat_message(): its JSON answer.
     *
     * @throws SkypeBusException
     */
    public function skypeSendChatMessage(\FFI\CData $skype, string $handle, string $text): string
    {
        return $this->textOut('skypebus_skype_send_chat_message', $skype, $handle, $text);
    }

    /**
     * skypebus_skype_next_notification(): the next notification, waiting up to $milliseconds;
     * null when none came (SKYPEBUS_EMPTY).
     *
     * @throws SkypeBusException
     */
    public function skypeNextNotification(\FFI\CData $skype, int $milliseconds): ?string
    {
        return $this->nextText('skypebus_skype_next_notification', $skype, $milliseconds);
    }

    public function freeSkype(\FFI\CData $skype): void
    {
        $this->ffi->skypebus_skype_free($skype);
    }

    // ---- File descriptors ---------------------------------------------------------------

    /**
     * skypebus_fd_open(): a new descriptor (close-on-exec) of the file at $path, opened as
     * fopen($path, $mode) would; the caller owns it.
     *
     * @throws SkypeBusException
     */
    public function fdOpen(string $path, string $mode): int
    {
        return $this->fdOut('skypebus_fd_open', $path, $mode);
    }

    /**
     * skypebus_fd_dup(): a new descriptor (close-on-exec) of the same open file as $fd.
     *
     * @throws SkypeBusException
     */
    public function fdDup(int $fd): int
    {
        return $this->fdOut('skypebus_fd_dup', $fd);
    }

    /**
     * skypebus_fd_close()
     *
     * @throws SkypeBusException
     */
    public function fdClose(int $fd): void
    {
        $this->run('skypebus_fd_close', $fd);
    }

    /**
     * A function of the form f(..., int32_t *fd_out, skypebus_error **err): the descriptor.
     *
     * @param mixed ...$args
     * @throws SkypeBusException
     */
    private function fdOut(string $function, ...$args): int
    {
        $fd = $this->ffi->new('int32_t');
        $args[] = \FFI::addr($fd);
        $this->run($function, ...$args);
        return (int) $fd->cdata;
    }

    // ---- The protocol -------------------------------------------------------------------

    /**
     * A function of the form f(...$args, skypebus_error **err) that only reports a status.
     *
     * @param mixed ...$args
     * @throws SkypeBusException
     */
    private function run(string $function, ...$args): void
    {
        $error = $this->ffi->new('skypebus_error*');
        $args[] = \FFI::addr($error);
        $result = $this->ffi->{$function}(...$args);
        if ($result !== ResultCode::OK) {
            $this->fail($result, $error);
        }
    }

    /**
     * A function of the form f(handle, uint32_t timeout_ms, char **out, skypebus_error **err)
     * that waits for the next item: its text, or null when none came in time (SKYPEBUS_EMPTY).
     *
     * @throws SkypeBusException
     */
    private function nextText(string $function, \FFI\CData $handle, int $milliseconds): ?string
    {
        $out = $this->ffi->new('char*');
        $error = $this->ffi->new('skypebus_error*');
        $result = $this->ffi->{$function}($handle, $milliseconds, \FFI::addr($out), \FFI::addr($error));
        if ($result === ResultCode::EMPTY) {
            // No error: the library makes no error object for it and leaves $error alone.
            return null;
        }
        if ($result !== ResultCode::OK) {
            $this->fail($result, $error);
        }
        return $this->takeString($out);
    }

    /**
     * A function of the form f(...$args, char **out, skypebus_error **err): the string it
     * wrote.
     *
     * @param mixed ...$args
     * @throws SkypeBusException
     */
    private function textOut(string $function, ...$args): string
    {
        $out = $this->ffi->new('char*');
        $error = $this->ffi->new('skypebus_error*');
        $args[] = \FFI::addr($out);
        $args[] = \FFI::addr($error);
        $result = $this->ffi->{$function}(...$args);
        if ($result !== ResultCode::OK) {
            $this->fail($result, $error);
        }
        return $this->takeString($out);
    }

    /**
     * Throws the exception for a failed call and frees the error. $error is the
     * skypebus_error* the call wrote (a fresh one per failure: the library does not reset it
     * on success). This is the one place C errors become PHP exceptions.
     *
     * @return never
     * @throws SkypeBusException
     */
    private function fail(int $result, \FFI\CData $error): void
    {
        if (\FFI::isNull($error)) {
            throw Errors::exceptionFor($result, 'net.skypebus.Error.Unknown', 'libskypebus failed with result ' . $result . ' and no error');
        }
        try {
            $name = self::text($this->ffi->skypebus_error_name($error));
            $message = self::text($this->ffi->skypebus_error_message($error));
            $code = (int) $this->ffi->skypebus_error_code($error);
            $skypeCode = (int) $this->ffi->skypebus_error_skype_code($error);
        } finally {
            $this->ffi->skypebus_error_free($error);
        }
        throw Errors::exceptionFor($code !== ResultCode::OK ? $code : $result, $name, $message, $skypeCode);
    }

    /**
     * Copies a string the library returned in a "char *" out-parameter ('' for NULL) and frees
     * it with skypebus_string_free.
     */
    private function takeString(\FFI\CData $out): string
    {
        if (\FFI::isNull($out)) {
            return '';
        }
        try {
            return \FFI::string($out);
        } finally {
            $this->ffi->skypebus_string_free($out);
        }
    }

    /**
     * A returned "const char *": FFI gives it as a PHP string (NULL as null).
     *
     * @param string|\FFI\CData|null $value
     */
    private static function text($value): string
    {
        if ($value instanceof \FFI\CData) {
            return \FFI::isNull($value) ? '' : \FFI::string($value);
        }
        return (string) $value;
    }
}
