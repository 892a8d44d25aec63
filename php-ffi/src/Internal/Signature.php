<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Type\TypedValue;

/**
 * D-Bus type signatures: validation, splitting into complete types, and the inference rules for
 * typed values built without an explicit signature.
 *
 * Pure PHP; no FFI. Results are cached per signature (bounded), because the same few signatures
 * are seen over and over.
 *
 * @internal
 */
final class Signature
{
    private const BASIC = 'ybnqiuxtdsogh';
    private const MAX_LENGTH = 255;
    private const MAX_DEPTH = 32;
    private const CACHE_SIZE = 256;

    /** @var array<string, list<string>> */
    private static $splitCache = [];

    /**
     * Splits a signature into its complete types: "sa{sv}(iu)" gives ["s", "a{sv}", "(iu)"].
     *
     * @return list<string>
     * @throws InvalidArgumentException when the signature is not valid
     */
    public static function split(string $signature): array
    {
        if (isset(self::$splitCache[$signature])) {
            return self::$splitCache[$signature];
        }
        if (strlen($signature) > self::MAX_LENGTH) {
            throw self::invalid($signature, 'longer than 255 characters');
        }
        $types = [];
        $offset = 0;
        $length = strlen($signature);
        while ($offset < $length) {
            $end = self::scan($signature, $offset, 0, 0);
            $types[] = substr($signature, $offset, $end - $offset);
            $offset = $end;
        }
        if (count(self::$splitCache) >= self::CACHE_SIZE) {
            self::$splitCache = [];
        }
        return self::$splitCache[$signature] = $types;
    }

    /**
     * Checks that the text is exactly one complete type.
     *
     * @throws InvalidArgumentException
     */
    public static function assertSingleCompleteType(string $signature): void
    {
        if (count(self::split($signature)) !== 1) {
            throw self::invalid($signature, 'not exactly one complete type');
        }
    }

    /**
     * The member types of a struct type: "(isv)" gives ["i", "s", "v"].
     *
     * @return list<string>
     */
    public static function structMembers(string $structType): array
    {
        return self::split(substr($structType, 1, -1));
    }

    /**
     * Key and value type of a dict type: "a{sv}" gives ["s", "v"].
     *
     * @return array{0: string, 1: string}
     */
    public static function dictEntry(string $dictType): array
    {
        return [$dictType[2], substr($dictType, 3, -1)];
    }

    /**
     * The type D-Bus would carry a PHP value as when nothing else says (the documented inference
     * rules, the same ones the library uses): string -> s, bool -> b, int -> i when it fits in 32
     * bits, else x; float -> d; a typed value -> its own type; a list whose elements all infer to
     * one type T -> aT; an empty array -> av; a string-keyed array or an object -> a{sv}.
     *
     * @param mixed $value
     * @throws InvalidArgumentException when the value gives no unambiguous type
     */
    public static function infer($value): string
    {
        if ($value instanceof TypedValue) {
            return $value->getSignature();
        }
        if (is_string($value)) {
            return 's';
        }
        if (is_bool($value)) {
            return 'b';
        }
        if (is_int($value)) {
            return ($value >= -2147483648 && $value <= 2147483647) ? 'i' : 'x';
        }
        if (is_float($value)) {
            return 'd';
        }
        if ($value instanceof \stdClass) {
            return 'a{sv}';
        }
        if (is_array($value)) {
            if ($value === []) {
                return 'av';
            }
            if (!Values::isList($value)) {
                return 'a{sv}';
            }
            $element = null;
            foreach ($value as $item) {
                $type = self::infer($item);
                if ($element !== null && $type !== $element) {
                    throw new InvalidArgumentException(
                        sprintf('Cannot infer a D-Bus type for a list mixing %s and %s: give a signature', $element, $type),
                        'net.skypebus.Error.TypeMismatch'
                    );
                }
                $element = $type;
            }
            return 'a' . $element;
        }
        if ($value === null) {
            throw new InvalidArgumentException('null cannot be sent over D-Bus', 'net.skypebus.Error.TypeMismatch');
        }
        throw new InvalidArgumentException(
            sprintf('Cannot infer a D-Bus type for a value of type %s', Values::describe($value)),
            'net.skypebus.Error.TypeMismatch'
        );
    }

    /**
     * Scans one complete type starting at $offset and returns the offset just after it.
     */
    private static function scan(string $signature, int $offset, int $arrays, int $structs): int
    {
        $length = strlen($signature);
        if ($offset >= $length) {
            throw self::invalid($signature, 'ends inside a container type');
        }
        $c = $signature[$offset];
        if (strpos(self::BASIC, $c) !== false || $c === 'v') {
            return $offset + 1;
        }
        if ($c === 'a') {
            if ($arrays + 1 > self::MAX_DEPTH) {
                throw self::invalid($signature, 'arrays nested deeper than 32');
            }
            if ($offset + 1 < $length && $signature[$offset + 1] === '{') {
                $key = $offset + 2;
                if ($key >= $length || strpos(self::BASIC, $signature[$key]) === false) {
                    throw self::invalid($signature, 'a dict key must be a basic type');
                }
                $end = self::scan($signature, $key + 1, $arrays + 1, $structs);
                if ($end >= $length || $signature[$end] !== '}') {
                    throw self::invalid($signature, 'a dict entry must have exactly one key and one value type');
                }
                return $end + 1;
            }
            return self::scan($signature, $offset + 1, $arrays + 1, $structs);
        }
        if ($c === '(') {
            if ($structs + 1 > self::MAX_DEPTH) {
                throw self::invalid($signature, 'structs nested deeper than 32');
            }
            $pos = $offset + 1;
            if ($pos < $length && $signature[$pos] === ')') {
                throw self::invalid($signature, 'empty struct');
            }
            while ($pos < $length && $signature[$pos] !== ')') {
                $pos = self::scan($signature, $pos, $arrays, $structs + 1);
            }
            if ($pos >= $length) {
                throw self::invalid($signature, 'unclosed struct');
            }
            return $pos + 1;
        }
        throw self::invalid($signature, sprintf("unexpected '%s' at offset %d", $c, $offset));
    }

    private static function invalid(string $signature, string $why): InvalidArgumentException
    {
        return new InvalidArgumentException(
            sprintf('Invalid D-Bus signature "%s": %s', $signature, $why),
            'net.skypebus.Error.InvalidSignature'
        );
    }
}
