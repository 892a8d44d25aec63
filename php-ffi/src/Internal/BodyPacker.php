<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Type\Bytes;

/**
 * The arguments of a call as the D-Bus message body itself (little endian), written with
 * pack() for the simple signatures, so that a call sends no JSON: skypebus_call_packed_into()
 * takes the body and checks it with every rule it applies to a body received from a peer.
 *
 * It packs only what it is sure of, with exactly the typing of the JSON path: for each complete
 * type, the one PHP type the JSON path takes as it is (an int in range for y n q i u x t, a bool
 * for b, a finite float for d, a string for s o g, a string or Bytes for ay, a list of those for
 * the arrays of them). Anything else (a numeric string, a float for an integer, a typed value,
 * Fd, NAN, an associative array) makes pack() return null, and the call goes the JSON way,
 * which gives its value, or its error, exactly as before. The text of strings is not looked at
 * here: a string the library refuses (not UTF-8, a NUL byte, a bad object path or signature) is
 * refused before anything is sent, and Calls then sends the call the JSON way to get the JSON
 * path's own error.
 *
 * Needs a little-endian PHP with 64-bit integers (supported()).
 *
 * @internal
 */
final class BodyPacker
{
    /** Complete types pack() takes: basic ones, and arrays of them (not of h, nor of v). */
    private const TYPES = [
        'y' => true, 'b' => true, 'n' => true, 'q' => true, 'i' => true, 'u' => true, 'x' => true,
        't' => true, 'd' => true, 's' => true, 'o' => true, 'g' => true,
        'ay' => true, 'ab' => true, 'an' => true, 'aq' => true, 'ai' => true, 'au' => true,
        'ax' => true, 'at' => true, 'ad' => true, 'as' => true, 'ao' => true, 'ag' => true,
    ];

    /** The range of each integer type, and the code of pack() that writes it. */
    private const INTEGERS = [
        'y' => [0, 255, 'C'],
        'n' => [-32768, 32767, 'v'],
        'q' => [0, 65535, 'v'],
        'i' => [-2147483648, 2147483647, 'V'],
        'u' => [0, 4294967295, 'V'],
        'x' => [PHP_INT_MIN, PHP_INT_MAX, 'P'],
        't' => [0, PHP_INT_MAX, 'P'],
    ];

    /** The alignment of the elements of each type (a string's is that of its length). */
    private const ALIGN = [
        'y' => 1, 'g' => 1, 'n' => 2, 'q' => 2, 'b' => 4, 'i' => 4, 'u' => 4, 's' => 4, 'o' => 4,
        'x' => 8, 't' => 8, 'd' => 8,
    ];

    /** Whether this PHP writes what D-Bus reads: little endian, 64-bit integers. */
    public static function supported(): bool
    {
        static $ok = null;
        if ($ok === null) {
            $ok = PHP_INT_SIZE === 8 && pack('S', 1) === "\x01\x00";
        }
        return $ok;
    }

    /**
     * Whether pack() can take arguments of these complete types at all.
     *
     * @param list<string> $types
     */
    public static function packable(array $types): bool
    {
        foreach ($types as $type) {
            if (!isset(self::TYPES[$type])) {
                return false;
            }
        }
        return self::supported();
    }

    /**
     * The body of $args (a list, one per type of a packable() signature), or null when one of
     * them is not of the PHP type the JSON path takes as it is.
     *
     * @param list<string> $types
     * @param list<mixed> $args
     */
    public static function pack(array $types, array $args): ?string
    {
        $body = '';
        foreach ($types as $i => $type) {
            $value = $args[$i];
            if ($type === 's' && is_string($value)) {
                // The common case, without a call: a string after its 4-aligned length.
                $body .= str_repeat("\0", -strlen($body) & 3) . pack('V', strlen($value)) . $value . "\0";
                continue;
            }
            if ($type[0] !== 'a') {
                $align = self::ALIGN[$type];
                if ($align > 1 && ($pad = -strlen($body) & ($align - 1)) !== 0) {
                    $body .= str_repeat("\0", $pad);
                }
                $packed = self::basic($type, $value);
            } else {
                $body .= str_repeat("\0", -strlen($body) & 3);
                $packed = self::anArray($type[1], $value, strlen($body) + 4);
            }
            if ($packed === null) {
                return null;
            }
            $body .= $packed;
        }
        return $body;
    }

    /**
     * One basic value, at an offset aligned for it.
     *
     * @param mixed $value
     */
    private static function basic(string $type, $value): ?string
    {
        if ($type === 's' || $type === 'o') {
            return is_string($value) ? pack('V', strlen($value)) . $value . "\0" : null;
        }
        if ($type === 'b') {
            return is_bool($value) ? ($value ? "\1\0\0\0" : "\0\0\0\0") : null;
        }
        if ($type === 'd') {
            return is_float($value) && is_finite($value) ? pack('e', $value) : null;
        }
        if ($type === 'g') {
            return is_string($value) && strlen($value) < 256 ? chr(strlen($value)) . $value . "\0" : null;
        }
        [$min, $max, $code] = self::INTEGERS[$type];
        return is_int($value) && $value >= $min && $value <= $max ? pack($code, $value) : null;
    }

    /**
     * An array of $element (its length, the padding to its first element, the elements),
     * whose length field starts 4 bytes before the offset $start.
     *
     * @param mixed $value
     */
    private static function anArray(string $element, $value, int $start): ?string
    {
        if ($element === 'y') {
            if ($value instanceof Bytes) {
                $value = $value->getValue();
            }
            return is_string($value) ? pack('V', strlen($value)) . $value : null;
        }
        if (!is_array($value) || !(PHP_VERSION_ID >= 80100 ? array_is_list($value) : Values::isList($value))) {
            return null;
        }
        $align = self::ALIGN[$element];
        $pad = $align === 8 ? str_repeat("\0", -$start & 7) : '';
        if ($value === []) {
            return "\0\0\0\0" . $pad;
        }
        $data = self::elements($element, $value, strlen($pad) + $start);
        return $data === null ? null : pack('V', strlen($data)) . $pad . $data;
    }

    /**
     * The elements of a non-empty list, the first at offset $offset (aligned for it).
     *
     * @param non-empty-list<mixed> $list
     */
    private static function elements(string $element, array $list, int $offset): ?string
    {
        if (isset(self::INTEGERS[$element])) {
            // One tight loop: cheaper than a loop for the type and min()/max() for the range
            // (100,000 int32: about 17M instructions against 20M).
            [$min, $max, $code] = self::INTEGERS[$element];
            if ($element === 'x') {
                foreach ($list as $item) {
                    if (!is_int($item)) {
                        return null;
                    }
                }
            } else {
                foreach ($list as $item) {
                    if (!is_int($item) || $item < $min || $item > $max) {
                        return null;
                    }
                }
            }
            return pack($code . '*', ...$list);
        }
        if ($element === 'd') {
            foreach ($list as $item) {
                if (!is_float($item) || !is_finite($item)) {
                    return null;
                }
            }
            return pack('e*', ...$list);
        }
        if ($element === 'b') {
            $data = '';
            foreach ($list as $item) {
                if (!is_bool($item)) {
                    return null;
                }
                $data .= $item ? "\1\0\0\0" : "\0\0\0\0";
            }
            return $data;
        }
        // Strings (s, o, g), each at the offset its type aligns.
        $data = '';
        foreach ($list as $item) {
            if ($element !== 'g') {
                $data .= str_repeat("\0", -($offset + strlen($data)) & 3);
            }
            $packed = self::basic($element, $item);
            if ($packed === null) {
                return null;
            }
            $data .= $packed;
        }
        return $data;
    }
}
