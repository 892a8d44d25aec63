<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Type\Bytes;
use SkypeBus\Type\Double;
use SkypeBus\Type\TypedValue;
use SkypeBus\Type\Variant;

/**
 * The PHP side of the JSON <-> D-Bus mapping (DESIGN.md section 4): PHP values to the request
 * JSON of skypebus_call, and reply JSON back to PHP values. Pure PHP; no FFI.
 *
 * Requests always ask for typed variants (so that the contents of a variant can be decoded by
 * their type) and, whenever that is safe, for base64 bytes (so a 1 MiB "ay" is one base64
 * string, not a million JSON integers). Replies are walked along their signature only when the
 * signature holds something PHP must convert: "ay" to a binary string, "d" strings to
 * NAN/INF, variants to their value (or to Variant objects), boolean dict keys.
 *
 * Calls also ask for "arrays": "base64" (on a little-endian 64-bit PHP): arrays of n q i u x t d
 * come back as base64 of their packed little-endian elements, which unpack() turns into a list
 * in about 70 % of the time json_decode takes for the same numbers (the library's binary side
 * path; the JSON contract itself is unchanged).
 *
 * @internal
 */
final class Codec
{
    public const ENCODE_FLAGS = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION;

    /** D-Bus allows 64 levels of nesting; a typed variant costs two JSON levels. */
    private const DECODE_DEPTH = 1024;

    /** Signatures made only of these need no conversion on the way in. */
    private const PLAIN_INPUT = 'bnqiuxtsogh';

    /** Most request heads (and option tails) encodeCall() keeps (see there). */
    private const HEAD_CACHE = 256;

    /** @var array<string, string> encodeCall()'s request heads, by destination/path/... */
    private static $heads = [];

    /**
     * The request JSON for skypebus_call: the text json_encode(callRequest(...)) gives, built
     * from a cached head (the JSON of destination, path, interface, method and signature, which
     * a program repeats call after call), the arguments' JSON and the options' keys.
     *
     * @param list<mixed> $args
     * @throws InvalidArgumentException
     */
    public static function encodeCall(
        string $destination,
        string $path,
        ?string $interface,
        string $method,
        array $args,
        ?string $signature,
        CallOptions $options
    ): string {
        $key = $destination . "\0" . $path . "\0" . ($interface ?? '') . "\0" . $method . "\0" . ($signature ?? "\1");
        $head = self::$heads[$key] ?? null;
        if ($head === null) {
            // Without its closing brace: the rest follows. (Names that are not UTF-8 fail here,
            // as they would in the whole request.)
            $head = substr(self::encode(self::requestHead($destination, $path, $interface, $method, $signature)), 0, -1);
            if (count(self::$heads) >= self::HEAD_CACHE) {
                self::$heads = [];
            }
            self::$heads[$key] = $head;
        }
        [$prepared, $base64] = self::prepareArgs($method, $args, $signature);
        $json = $prepared === [] ? $head : $head . ',"args":' . self::encode($prepared);
        // The keys after the arguments, as callRequest() adds them, once per set of options.
        $tailKey = ($options->noReply ? 'n' : '') . ($base64 ? 'b' : '') . $options->timeoutMs;
        $tail = self::$tails[$tailKey] ?? null;
        if ($tail === null) {
            $tail = ',' . substr(self::encode(self::requestTail([], $options, $base64)), 1);
            if (count(self::$tails) >= self::HEAD_CACHE) {
                self::$tails = [];
            }
            self::$tails[$tailKey] = $tail;
        }
        return $json . $tail;
    }

    /** @var array<string, string> encodeCall()'s option keys as JSON text (",...}"), by options */
    private static $tails = [];

    /**
     * The keys of a call request before its arguments.
     *
     * @return array<string, string>
     */
    private static function requestHead(string $destination, string $path, ?string $interface, string $method, ?string $signature): array
    {
        $request = [];
        if ($destination !== '') {
            $request['destination'] = $destination;
        }
        $request['path'] = $path;
        if ($interface !== null && $interface !== '') {
            $request['interface'] = $interface;
        }
        $request['method'] = $method;
        if ($signature !== null) {
            $request['signature'] = $signature;
        }
        return $request;
    }

    /**
     * $request with the keys of a call request that follow its arguments.
     *
     * @param array<string, mixed> $request
     * @return array<string, mixed>
     */
    private static function requestTail(array $request, CallOptions $options, bool $base64): array
    {
        if ($options->noReply) {
            $request['no_reply'] = true;
        }
        $request = self::finish($request, $options, $base64);
        if (self::packedArrays()) {
            $request['arrays'] = 'base64';
        }
        return $request;
    }

    /**
     * The request of skypebus_call as a structure ready for json_encode (one element of the
     * array skypebus_call_many takes).
     *
     * @param list<mixed> $args
     * @return array<string, mixed>
     * @throws InvalidArgumentException
     */
    public static function callRequest(
        string $destination,
        string $path,
        ?string $interface,
        string $method,
        array $args,
        ?string $signature,
        CallOptions $options
    ): array {
        $request = self::requestHead($destination, $path, $interface, $method, $signature);
        [$prepared, $base64] = self::prepareArgs($method, $args, $signature);
        if ($prepared !== []) {
            $request['args'] = $prepared;
        }
        return self::requestTail($request, $options, $base64);
    }

    /** Whether unpack() reads the library's packed arrays: little endian, 64-bit integers. */
    private static function packedArrays(): bool
    {
        static $ok = null;
        if ($ok === null) {
            $ok = PHP_INT_SIZE === 8 && pack('S', 1) === "\x01\x00";
        }
        return $ok;
    }

    /** The unpack() code of each element type the library sends packed. */
    private const PACKED = ['n' => 's', 'q' => 'v', 'i' => 'l', 'u' => 'V', 'x' => 'q', 't' => 'P', 'd' => 'e'];

    /** The byte size of each element type the library sends packed. */
    private const PACKED_SIZE = ['n' => 2, 'q' => 2, 'i' => 4, 'u' => 4, 'x' => 8, 't' => 8, 'd' => 8];

    /**
     * The list of an array of n q i u x t d sent as base64 of packed little-endian elements:
     * u64 values above PHP_INT_MAX as decimal strings, as in the JSON form.
     *
     * @return list<int|float|string>
     * @throws DBusException
     */
    private static function unpackArray(string $base64, string $element): array
    {
        $bytes = base64_decode($base64, true);
        if ($bytes === false || strlen($bytes) % self::PACKED_SIZE[$element] !== 0) {
            throw self::malformed('a packed "a' . $element . '" value is not base64 of whole elements');
        }
        if ($bytes === '') {
            return [];
        }
        $list = array_values(unpack(self::PACKED[$element] . '*', $bytes));
        if ($element === 't' && min($list) < 0) {
            foreach ($list as $i => $value) {
                if ($value < 0) {
                    $list[$i] = sprintf('%u', $value);
                }
            }
        }
        return $list;
    }

    /**
     * The JSON of skypebus_emit: a signal from $path, typed by $signature or inferred.
     *
     * @param list<mixed> $args
     * @throws InvalidArgumentException
     */
    public static function encodeSignal(
        string $path,
        string $interface,
        string $member,
        array $args,
        ?string $signature,
        ?string $destination
    ): string {
        $signal = [];
        if ($destination !== null && $destination !== '') {
            $signal['destination'] = $destination;
        }
        $signal['path'] = $path;
        $signal['interface'] = $interface;
        $signal['member'] = $member;
        [$prepared, $base64] = self::prepareArgs($member, $args, $signature);
        if ($signature !== null) {
            $signal['signature'] = $signature;
        }
        if ($prepared !== []) {
            $signal['args'] = $prepared;
        }
        if ($base64) {
            $signal['bytes'] = 'base64';
        }
        return self::encode($signal);
    }

    /**
     * The JSON of skypebus_reply for the values a handler returned, one per complete type of
     * the method's declared out signature ($outTypes); strings where a type says "ay" are bytes.
     *
     * @param list<mixed> $values
     * @param list<string> $outTypes
     * @throws InvalidArgumentException
     */
    public static function encodeReply(array $values, array $outTypes): string
    {
        $prepared = [];
        foreach ($values as $i => $value) {
            $prepared[] = self::prepare($value, $outTypes[$i] ?? null);
        }
        return self::encode(['args' => $prepared, 'bytes' => 'base64']);
    }

    /**
     * The JSON value of one property of an exported object (skypebus_set_property, and the
     * "properties" export option), for an export made with "bytes": "base64".
     *
     * @param mixed $value
     * @return mixed
     * @throws InvalidArgumentException
     */
    public static function prepareProperty($value, string $type)
    {
        return self::prepare($value, $type);
    }

    /**
     * The arguments of a call or signal made ready for json_encode, and whether "ay" may be
     * asked for as base64 (see the class comment).
     *
     * @param list<mixed> $args
     * @return array{0: list<mixed>, 1: bool}
     * @throws InvalidArgumentException
     */
    private static function prepareArgs(string $member, array $args, ?string $signature): array
    {
        if (!self::isList($args)) {
            throw new InvalidArgumentException('The arguments of a call must be a list (keys 0..n-1)');
        }
        $prepared = [];
        if ($signature !== null) {
            $types = Signature::split($signature);
            if (count($types) !== count($args)) {
                throw new InvalidArgumentException(
                    sprintf(
                        '%s takes %d argument%s (signature "%s"), %d given',
                        $member,
                        count($types),
                        count($types) === 1 ? '' : 's',
                        $signature,
                        count($args)
                    ),
                    'net.skypebus.Error.TypeMismatch',
                    Errors::TYPE_MISMATCH
                );
            }
            foreach ($args as $i => $arg) {
                $prepared[] = self::spliceBytes($arg, $types[$i]) ?? self::prepare($arg, $types[$i]);
            }
            return [$prepared, true];
        }
        foreach ($args as $arg) {
            $prepared[] = self::spliceBytes($arg, null) ?? self::prepare($arg, null);
        }
        // With no signature PHP cannot know where the library will find "ay" (introspection):
        // there a plain string would be read as base64. Ask for base64 bytes only when no
        // untyped string could end up in such a place.
        return [$prepared, !self::containsUntypedString($args)];
    }

    /**
     * The request JSON for skypebus_properties: op "get" and "get_all" (no $name for the
     * latter), or "set" with a value, whose type is $signature, else the property's declared
     * type, else inferred (the library decides, from the peer's introspection data).
     *
     * @param mixed $value
     * @throws InvalidArgumentException
     */
    public static function encodeProperties(
        string $op,
        string $destination,
        string $path,
        string $interface,
        ?string $name,
        $value,
        ?string $signature,
        CallOptions $options
    ): string {
        if ($options->noReply) {
            throw new InvalidArgumentException(
                'The option "noReply" does not apply to properties',
                'net.skypebus.Error.InvalidRequest',
                Errors::INVALID_REQUEST
            );
        }
        $request = [];
        if ($destination !== '') {
            $request['destination'] = $destination;
        }
        $request['path'] = $path;
        $request['interface'] = $interface;
        $request['op'] = $op;
        if ($name !== null) {
            $request['name'] = $name;
        }
        $base64 = true;
        if ($op === 'set') {
            if ($value instanceof TypedValue && ($signature === null || $signature === $value->getSignature())) {
                // The library takes the value as the data of the property's type, not as a typed
                // form: a typed value gives both, the type as the signature.
                $typed = $value->jsonSerialize();
                $request['signature'] = $typed['type'];
                $request['value'] = $typed['data'];
            } else {
                if ($signature !== null) {
                    Signature::assertSingleCompleteType($signature);
                    $request['signature'] = $signature;
                } else {
                    $base64 = !self::containsUntypedString([$value]);
                }
                $request['value'] = self::prepare($value, $signature);
            }
        }
        return self::encode(self::finish($request, $options, $base64));
    }

    /**
     * Adds the options every request shares.
     *
     * @param array<string, mixed> $request
     * @return array<string, mixed>
     */
    private static function finish(array $request, CallOptions $options, bool $base64): array
    {
        if ($options->timeoutMs !== null) {
            $request['timeout_ms'] = $options->timeoutMs;
        }
        // Always typed: the contents of a variant are decoded by their type ("ay" in a variant).
        $request['variants'] = 'typed';
        if ($base64) {
            $request['bytes'] = 'base64';
        }
        return $request;
    }

    /** Arguments of bytes at least this long are spliced into the JSON text (spliceBytes()). */
    private const SPLICE_MIN = 4096;

    /** @var array<string, string> placeholder => the base64 text that replaces it */
    private static $spliced = [];

    /**
     * A top-level argument of bytes (a string where the signature says "ay", or a Bytes object)
     * of at least SPLICE_MIN bytes, as the typed form {"type":"ay","data":"<placeholder>"}
     * whose placeholder encode() replaces with the base64 text: json_encode() checks every
     * character of a string for escaping, about 2 ms for the base64 of 1 MiB, which needs none.
     * Null for any other argument.
     *
     * @param mixed $arg
     */
    private static function spliceBytes($arg, ?string $type): ?array
    {
        if ($arg instanceof Bytes) {
            $bytes = $arg->getValue();
        } elseif ($type === 'ay' && is_string($arg)) {
            $bytes = $arg;
        } else {
            return null;
        }
        if (strlen($bytes) < self::SPLICE_MIN) {
            return null;
        }
        static $nonce = null;
        if ($nonce === null) {
            $nonce = bin2hex(random_bytes(16));
        }
        // The placeholder stands where the base64 goes, inside the quotes json_encode writes,
        // so the text is put in place with no copy of it made first.
        $placeholder = 'skypebus-bytes-' . $nonce . '-' . count(self::$spliced);
        self::$spliced[$placeholder] = base64_encode($bytes);
        return ['type' => 'ay', 'data' => $placeholder];
    }

    /**
     * JSON text of a prepared structure (with the bytes spliceBytes() set aside put in place).
     *
     * @param mixed $value
     * @throws InvalidArgumentException
     */
    public static function encode($value): string
    {
        try {
            $json = json_encode($value, self::ENCODE_FLAGS | JSON_THROW_ON_ERROR);
            return self::$spliced === [] ? $json : strtr($json, self::$spliced);
        } catch (\JsonException $e) {
            if ($e->getCode() === JSON_ERROR_UTF8) {
                throw new InvalidArgumentException(
                    'A string is not valid UTF-8, which D-Bus strings must be: send binary data as '
                    . 'SkypeBus\Type\Bytes, or where the signature says "ay"',
                    'net.skypebus.Error.InvalidUtf8',
                    Errors::INVALID_UTF8,
                    $e
                );
            }
            throw new InvalidArgumentException(
                'The arguments cannot be encoded: ' . $e->getMessage(),
                'net.skypebus.Error.InvalidRequest',
                Errors::INVALID_REQUEST,
                $e
            );
        } finally {
            self::$spliced = [];
        }
    }

    /**
     * Makes a PHP value ready for json_encode at a place whose D-Bus type is $type (or unknown):
     * binary strings where the type is "ay" become Bytes, NAN and infinities get their JSON
     * forms, PHP arrays where the type is a dict become JSON objects, null is refused.
     *
     * @param mixed $value
     * @return mixed
     * @throws InvalidArgumentException
     */
    public static function prepare($value, ?string $type)
    {
        if (is_string($value)) {
            return $type === 'ay' ? new Bytes($value) : $value;
        }
        if (is_int($value) || is_bool($value)) {
            return $value;
        }
        if (is_float($value)) {
            if (is_finite($value)) {
                return $value;
            }
            return $type === 'd' ? self::doubleToJson($value) : new Double($value);
        }
        if (is_array($value)) {
            return self::prepareArray($value, $type);
        }
        if ($value instanceof \JsonSerializable) {
            return $value;
        }
        if ($value instanceof \stdClass) {
            $prepared = self::prepareArray((array) $value, $type !== null && strncmp($type, 'a{', 2) === 0 ? $type : null);
            return is_array($prepared) ? (object) $prepared : $prepared;
        }
        if ($value === null) {
            throw new InvalidArgumentException(
                'null cannot be sent over D-Bus',
                'net.skypebus.Error.TypeMismatch',
                Errors::TYPE_MISMATCH
            );
        }
        throw new InvalidArgumentException(
            sprintf('A value of type %s cannot be sent over D-Bus', self::describe($value)),
            'net.skypebus.Error.TypeMismatch',
            Errors::TYPE_MISMATCH
        );
    }

    /**
     * The PHP values of a reply JSON text.
     *
     * @param bool $typedVariants keep variants as Variant objects instead of unwrapping them
     * @return list<mixed>
     * @throws DBusException when the text is not a reply envelope
     */
    public static function decodeReply(string $json, bool $typedVariants): array
    {
        // A reply without values (Ping, most setters): nothing to parse.
        if ($json === '{"type":"","data":[]}') {
            return [];
        }
        // One packed array of numbers (see the class comment): the base64 is a slice of the text.
        if (strncmp($json, '{"type":"a', 10) === 0 && isset(self::PACKED[$json[10] ?? ''])
            && substr_compare($json, '","data":["', 11, 11) === 0 && substr($json, -3) === '"]}') {
            $base64 = substr($json, 22, -3);
            if (strpbrk($base64, '"\\') === false) {
                return [self::unpackArray($base64, $json[10])];
            }
        }
        // Fast path for a reply of one byte array sent as base64 (a large payload, typically):
        // the library writes exactly {"type":"ay","data":["<base64>"]}, and base64 text needs no
        // JSON escaping, so the payload is a slice of the text. json_decode of a 1.4 MB string
        // costs about 5 ms; this costs a copy.
        // Strict base64_decode refuses anything outside the alphabet (a quote, a backslash), in
        // which case the full parse below decides.
        if (strncmp($json, '{"type":"ay","data":["', 22) === 0 && substr($json, -3) === '"]}') {
            $bytes = base64_decode(substr($json, 22, -3), true);
            if ($bytes !== false) {
                return [$bytes];
            }
        }
        return self::decodeEnvelope(self::decodeJson($json, 'the reply'), $typedVariants);
    }

    /** @var array<string, bool> plainSignature()'s answers */
    private static $plainSignatures = [];

    /** Whether values of this signature come out of json_decode as they are returned (cached). */
    private static function plainSignature(string $signature): bool
    {
        if (count(self::$plainSignatures) >= self::HEAD_CACHE) {
            self::$plainSignatures = [];
        }
        return self::$plainSignatures[$signature] = !self::needsDecoding($signature);
    }

    /**
     * The PHP values of a decoded reply envelope {"type": "<signature>", "data": [...]}.
     *
     * @param mixed $reply
     * @return list<mixed>
     * @throws DBusException when it is not a reply envelope
     */
    public static function decodeEnvelope($reply, bool $typedVariants): array
    {
        if (!is_array($reply) || !isset($reply['type']) || !is_string($reply['type'])
            || !isset($reply['data']) || !is_array($reply['data'])) {
            throw self::malformed('the reply is not a {"type", "data"} envelope');
        }
        return self::decodeValues($reply['data'], $reply['type'], $typedVariants);
    }

    /**
     * The PHP values of a message body: the JSON values (decoded with decodeJson()) of the
     * signature $signature, one per complete type.
     *
     * @param list<mixed> $data
     * @return list<mixed>
     * @throws DBusException when the values do not match the signature
     */
    public static function decodeValues(array $data, string $signature, bool $typedVariants): array
    {
        if (self::$plainSignatures[$signature] ?? self::plainSignature($signature)) {
            return $data;
        }
        $types = Signature::split($signature);
        if (count($types) !== count($data)) {
            throw self::malformed('the message has ' . count($data) . ' values for signature "' . $signature . '"');
        }
        foreach ($types as $i => $type) {
            $data[$i] = self::fromJson($data[$i], $type, $typedVariants);
        }
        return $data;
    }

    /**
     * A JSON text from the library as PHP arrays: integers beyond PHP_INT_MAX as strings.
     *
     * @return mixed
     * @throws DBusException when the text is not JSON
     */
    public static function decodeJson(string $json, string $what = 'the reply')
    {
        try {
            return json_decode($json, true, self::DECODE_DEPTH, JSON_BIGINT_AS_STRING | JSON_THROW_ON_ERROR);
        } catch (\JsonException $e) {
            throw self::malformed($what . ' is not valid JSON: ' . $e->getMessage());
        }
    }

    /**
     * The PHP value of a one-value envelope {"type": "<one complete type>", "data": value}, as
     * skypebus_properties replies to "get" and "get_all".
     *
     * @return mixed
     * @throws DBusException when the text is not such an envelope
     */
    public static function decodeValue(string $json, bool $typedVariants)
    {
        try {
            $reply = json_decode($json, true, self::DECODE_DEPTH, JSON_BIGINT_AS_STRING | JSON_THROW_ON_ERROR);
        } catch (\JsonException $e) {
            throw self::malformed('the reply is not valid JSON: ' . $e->getMessage());
        }
        if (!is_array($reply) || !isset($reply['type']) || !is_string($reply['type']) || $reply['type'] === ''
            || !array_key_exists('data', $reply)) {
            throw self::malformed('the reply is not a {"type", "data"} envelope of one value');
        }
        return self::fromJson($reply['data'], $reply['type'], $typedVariants);
    }

    /**
     * One reply value of type $type, converted to PHP.
     *
     * @param mixed $value
     * @return mixed
     */
    public static function fromJson($value, string $type, bool $typedVariants)
    {
        switch ($type[0]) {
            case 'v':
                if (!is_array($value) || !isset($value['type']) || !array_key_exists('data', $value)) {
                    throw self::malformed('a variant is not in the typed form');
                }
                $inner = self::fromJson($value['data'], $value['type'], $typedVariants);
                return $typedVariants ? new Variant($value['type'], $inner) : $inner;
            case 'd':
                return is_string($value) ? self::doubleFromJson($value) : (float) $value;
            case 'a':
                if ($type === 'ay') {
                    return self::bytesFromJson($value);
                }
                if (is_string($value) && strlen($type) === 2 && isset(self::PACKED[$type[1]])) {
                    return self::unpackArray($value, $type[1]);
                }
                if (!is_array($value)) {
                    throw self::malformed('an array value is not a JSON array or object');
                }
                if ($type[1] === '{') {
                    [$keyType, $valueType] = Signature::dictEntry($type);
                    $walk = self::needsDecoding($valueType);
                    if (!$walk && $keyType !== 'b') {
                        return $value;
                    }
                    $out = [];
                    foreach ($value as $key => $item) {
                        if ($keyType === 'b') {
                            $key = $key === 'true' ? 1 : 0;
                        }
                        $out[$key] = $walk ? self::fromJson($item, $valueType, $typedVariants) : $item;
                    }
                    return $out;
                }
                $element = substr($type, 1);
                if (!self::needsDecoding($element)) {
                    return $value;
                }
                foreach ($value as $i => $item) {
                    $value[$i] = self::fromJson($item, $element, $typedVariants);
                }
                return $value;
            case '(':
                if (!is_array($value)) {
                    throw self::malformed('a struct value is not a JSON array');
                }
                foreach (Signature::structMembers($type) as $i => $member) {
                    $value[$i] = self::fromJson($value[$i] ?? null, $member, $typedVariants);
                }
                return $value;
            default:
                return $value;
        }
    }

    /**
     * The JSON form of a double: the number, or "NaN", "Infinity", "-Infinity".
     *
     * @return float|string
     */
    public static function doubleToJson(float $value)
    {
        if (is_nan($value)) {
            return 'NaN';
        }
        if (is_infinite($value)) {
            return $value > 0 ? 'Infinity' : '-Infinity';
        }
        return $value;
    }

    /**
     * A dict key as its JSON object key: strings as they are, other basic values as their JSON
     * text ("42", "true", "1.5").
     *
     * @param int|string|bool|float $key
     */
    public static function keyToJson($key): string
    {
        if (is_bool($key)) {
            return $key ? 'true' : 'false';
        }
        if (is_float($key)) {
            $json = self::doubleToJson($key);
            return is_string($json) ? $json : json_encode($json, self::ENCODE_FLAGS);
        }
        return (string) $key;
    }

    /** True for [] and for arrays whose keys are 0..n-1 in order (array_is_list() of PHP 8.1). */
    public static function isList(array $array): bool
    {
        $expected = 0;
        foreach ($array as $key => $unused) {
            if ($key !== $expected++) {
                return false;
            }
        }
        return true;
    }

    /**
     * The type of a value for messages (get_debug_type() of PHP 8).
     *
     * @param mixed $value
     */
    public static function describe($value): string
    {
        if (is_object($value)) {
            return get_class($value);
        }
        $type = gettype($value);
        $names = ['NULL' => 'null', 'boolean' => 'bool', 'integer' => 'int', 'double' => 'float'];
        return $names[$type] ?? $type;
    }

    /**
     * @param array<int|string, mixed> $array
     * @return array<int|string, mixed>|\stdClass
     */
    private static function prepareArray(array $array, ?string $type)
    {
        if ($type !== null && $type[0] === 'a') {
            if ($type[1] === '{') {
                [, $valueType] = Signature::dictEntry($type);
                $object = new \stdClass();
                foreach ($array as $key => $item) {
                    $object->{$key} = self::prepare($item, $valueType);
                }
                return $object;
            }
            $element = substr($type, 1);
            if (strspn($element, self::PLAIN_INPUT) === strlen($element) || $element === 'y') {
                return $array;
            }
            foreach ($array as $key => $item) {
                $array[$key] = self::prepare($item, $element);
            }
            return $array;
        }
        if ($type !== null && $type[0] === '(') {
            $members = Signature::structMembers($type);
            $i = 0;
            foreach ($array as $key => $item) {
                $array[$key] = self::prepare($item, $members[$i++] ?? null);
            }
            return $array;
        }
        foreach ($array as $key => $item) {
            $array[$key] = self::prepare($item, null);
        }
        return $array;
    }

    /**
     * True when a plain PHP string (outside any typed value) occurs in the values.
     *
     * @param array<int|string, mixed> $values
     */
    private static function containsUntypedString(array $values): bool
    {
        foreach ($values as $value) {
            if (is_string($value)) {
                return true;
            }
            if ($value instanceof \stdClass) {
                $value = (array) $value;
            }
            if (is_array($value) && self::containsUntypedString($value)) {
                return true;
            }
        }
        return false;
    }

    /** True when values of this signature need converting after json_decode. */
    private static function needsDecoding(string $signature): bool
    {
        return strpbrk($signature, 'vdy') !== false || strpos($signature, '{b') !== false
            || (strpos($signature, 'a') !== false && preg_match('/a[nqiuxt]/', $signature) === 1);
    }

    /**
     * @param mixed $value a base64 string, or a list of byte values when base64 was not asked for
     */
    private static function bytesFromJson($value): string
    {
        if (is_string($value)) {
            $bytes = base64_decode($value, true);
            if ($bytes === false) {
                throw self::malformed('an "ay" value is not valid base64');
            }
            return $bytes;
        }
        if (is_array($value)) {
            return $value === [] ? '' : pack('C*', ...$value);
        }
        throw self::malformed('an "ay" value is neither base64 nor a list of bytes');
    }

    private static function doubleFromJson(string $value): float
    {
        switch ($value) {
            case 'NaN':
                return NAN;
            case 'Infinity':
                return INF;
            case '-Infinity':
                return -INF;
        }
        throw self::malformed(sprintf('"%s" is not a double', $value));
    }

    private static function malformed(string $why): DBusException
    {
        return new DBusException('net.skypebus.Error.InvalidMessage', 'Malformed reply: ' . $why, Errors::INVALID_MESSAGE);
    }
}
