<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Exception\DBusException;
use SkypeBus\Type\Fd;
use SkypeBus\Type\Variant;

/**
 * The library's reply JSON back to PHP values: call replies, property values, and the values of
 * signals and incoming calls. Pure PHP; no FFI. RequestEncoder is the way there.
 *
 * Replies are walked along their signature only when the signature holds something PHP must
 * convert: "ay" to a binary string, "d" strings to NAN/INF, "h" to Fd objects (which own the
 * descriptors), variants to their value (or to
 * Variant objects), boolean dict keys, arrays of numbers the library sent packed (base64 of
 * their little-endian elements, which unpack() reads in about 70 % of the time json_decode
 * takes for the same numbers).
 *
 * @internal
 */
final class ReplyDecoder
{
    /** D-Bus allows 64 levels of nesting; a typed variant costs two JSON levels. */
    private const DECODE_DEPTH = 1024;

    /** Most plain-signature answers kept (see plainSignature()). */
    private const CACHE = 256;

    /** The unpack() code of each element type the library sends packed. */
    private const PACKED = ['n' => 's', 'q' => 'v', 'i' => 'l', 'u' => 'V', 'x' => 'q', 't' => 'P', 'd' => 'e'];

    /** The byte size of each element type the library sends packed. */
    private const PACKED_SIZE = ['n' => 2, 'q' => 2, 'i' => 4, 'u' => 4, 'x' => 8, 't' => 8, 'd' => 8];

    /** @var array<string, bool> plainSignature()'s answers */
    private static $plainSignatures = [];

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
        // The signature's first character is at offset 9 of {"type":"...: the array fast paths
        // below apply only when it is an "a".
        if (($json[9] ?? '') === 'a') {
            // One packed array of numbers (see the class comment): the base64 is a slice of the text.
            if (
                strncmp($json, '{"type":"a', 10) === 0 && isset(self::PACKED[$json[10] ?? ''])
                && substr_compare($json, '","data":["', 11, 11) === 0 && substr($json, -3) === '"]}'
            ) {
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
        }
        // The envelope and the plain-signature answer checked here, without a call per step:
        // the path of most replies.
        try {
            $reply = json_decode($json, true, self::DECODE_DEPTH, JSON_BIGINT_AS_STRING | JSON_THROW_ON_ERROR);
        } catch (\JsonException $e) {
            throw self::malformed('the reply is not valid JSON: ' . $e->getMessage());
        }
        if (is_array($reply) && isset($reply['type'], $reply['data']) && is_string($reply['type']) && is_array($reply['data'])) {
            $signature = $reply['type'];
            return (self::$plainSignatures[$signature] ?? self::plainSignature($signature))
                ? $reply['data']
                : self::decodeValues($reply['data'], $signature, $typedVariants);
        }
        return self::decodeEnvelope($reply, $typedVariants);
    }

    /**
     * The PHP values of a reply the library wrote as the text of serialize() of their list
     * (HeaderConstants::REPLY_PHP: variants unwrapped, "ay" as binary strings, arrays of numbers
     * as lists, NAN and INF as floats, so nothing is left to convert), or a reply of one array of
     * numbers packed for unpack(). No class is instantiated from the text, except Fd objects in a
     * reply the library marked "F" (Fd::unserializeReply()).
     *
     * @return list<mixed>
     * @throws DBusException when the text is not such a list
     */
    public static function decodeSerialized(string $reply): array
    {
        // A reply of one array of numbers comes packed ("P", the element's type code, the
        // elements little endian; requests ask for it with "arrays": "base64").
        if (($reply[0] ?? '') === 'P') {
            // (substr() past the end is false on PHP 7.4, "" on 8.0 and later.) "Py": the bytes
            // of one "ay", as they are.
            $data = (string) substr($reply, 2);
            return [($reply[1] ?? '') === 'y' ? $data : self::unpackBytes($data, $reply[1] ?? '')];
        }
        // A reply with descriptors ("h") is marked "F": they are SkypeBus\Type\Fd objects.
        $values = ($reply[0] ?? '') === 'F'
            ? Fd::unserializeReply(substr($reply, 1))
            : @unserialize($reply, ['allowed_classes' => false]);
        if (!is_array($values)) {
            throw self::malformed('the reply is not the serialize() text of a list of values');
        }
        return $values;
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
        if (
            !is_array($reply) || !isset($reply['type']) || !is_string($reply['type'])
            || !isset($reply['data']) || !is_array($reply['data'])
        ) {
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
        if (
            !is_array($reply) || !isset($reply['type']) || !is_string($reply['type']) || $reply['type'] === ''
            || !array_key_exists('data', $reply)
        ) {
            throw self::malformed('the reply is not a {"type", "data"} envelope of one value');
        }
        return self::fromJson($reply['data'], $reply['type'], $typedVariants);
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
            case 'h':
                if (!is_int($value) || $value < 0) {
                    throw self::malformed('a unix fd is not a descriptor number');
                }
                return Fd::received($value);
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

    /** Whether values of this signature come out of json_decode as they are returned (cached). */
    private static function plainSignature(string $signature): bool
    {
        if (count(self::$plainSignatures) >= self::CACHE) {
            self::$plainSignatures = [];
        }
        return self::$plainSignatures[$signature] = !self::needsDecoding($signature);
    }

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
        if ($bytes === false) {
            throw self::malformed('a packed "a' . $element . '" value is not base64');
        }
        return self::unpackBytes($bytes, $element);
    }

    /**
     * The list of an array of n q i u x t d given as its packed little-endian elements.
     *
     * @return list<int|float|string>
     * @throws DBusException
     */
    private static function unpackBytes(string $bytes, string $element): array
    {
        if (!isset(self::PACKED[$element]) || strlen($bytes) % self::PACKED_SIZE[$element] !== 0) {
            throw self::malformed('a packed "a' . $element . '" value is not made of whole elements');
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

    /** True when values of this signature need converting after json_decode. */
    private static function needsDecoding(string $signature): bool
    {
        return strpbrk($signature, 'vdyh') !== false || strpos($signature, '{b') !== false
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
        return new DBusException('net.skypebus.Error.InvalidMessage', 'Malformed reply: ' . $why, ResultCode::INVALID_MESSAGE);
    }
}
