<?php

declare(strict_types=1);

namespace SkypeBus\Type;

use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Internal\ResultCode;
use SkypeBus\Internal\RequestEncoder;
use SkypeBus\Internal\Signature as SignatureParser;
use SkypeBus\Internal\Values;

/**
 * D-Bus dict "a{KV}": for keys that are not strings, and to send a dict where PHP would give a
 * list (an empty array, or keys 0..n-1).
 *
 *     new Dict([1 => 'one', 2 => 'two'], 'a{us}')
 *     new Dict([], 'a{sv}')
 *     Dict::fromPairs([[true, 'yes'], [false, 'no']], 'a{bs}')   // keys PHP arrays cannot hold
 *
 * Without a signature the key type is "i" (or "x") when every key is an int and "s" otherwise,
 * and the value type is the one type all values infer to, else "v"; an empty Dict is "a{sv}".
 */
final class Dict implements TypedValue
{
    /** @var list<array{0: mixed, 1: mixed}> */
    private $pairs;

    /** @var string */
    private $signature;

    /**
     * @param array<int|string, mixed> $entries
     * @param string|null $signature the dict type, "a{us}"
     */
    public function __construct(array $entries, ?string $signature = null)
    {
        $pairs = [];
        foreach ($entries as $key => $value) {
            $pairs[] = [$key, $value];
        }
        $this->init($pairs, $signature);
    }

    /**
     * A dict from [key, value] pairs, for keys a PHP array cannot hold (booleans, doubles,
     * 64-bit values as decimal strings, or an order PHP would merge).
     *
     * @param list<array{0: mixed, 1: mixed}> $pairs
     */
    public static function fromPairs(array $pairs, string $signature): self
    {
        foreach ($pairs as $pair) {
            if (!is_array($pair) || count($pair) !== 2 || !array_key_exists(0, $pair) || !array_key_exists(1, $pair)) {
                throw new InvalidArgumentException(
                    'Dict::fromPairs() takes a list of [key, value] pairs',
                    'net.skypebus.Error.TypeMismatch',
                    ResultCode::TYPE_MISMATCH
                );
            }
        }
        $dict = new self([], $signature);
        $dict->init(array_values($pairs), $signature);
        return $dict;
    }

    public function getSignature(): string
    {
        return $this->signature;
    }

    /**
     * The entries as a PHP array (keys converted the way PHP converts array keys).
     *
     * @return array<int|string, mixed>
     */
    public function getValue(): array
    {
        $array = [];
        foreach ($this->pairs as [$key, $value]) {
            $array[is_bool($key) ? (int) $key : (is_float($key) ? RequestEncoder::keyToJson($key) : $key)] = $value;
        }
        return $array;
    }

    /**
     * The entries as [key, value] pairs, in order.
     *
     * @return list<array{0: mixed, 1: mixed}>
     */
    public function getPairs(): array
    {
        return $this->pairs;
    }

    /**
     * @return array{type: string, data: \stdClass}
     */
    public function jsonSerialize(): array
    {
        [, $valueType] = SignatureParser::dictEntry($this->signature);
        $data = new \stdClass();
        foreach ($this->pairs as [$key, $value]) {
            $data->{RequestEncoder::keyToJson($key)} = RequestEncoder::prepare($value, $valueType);
        }
        return ['type' => $this->signature, 'data' => $data];
    }

    /**
     * @param list<array{0: mixed, 1: mixed}> $pairs
     */
    private function init(array $pairs, ?string $signature): void
    {
        if ($signature === null) {
            $signature = self::inferSignature($pairs);
        } else {
            SignatureParser::assertSingleCompleteType($signature);
            if (strncmp($signature, 'a{', 2) !== 0) {
                throw new InvalidArgumentException(
                    sprintf('"%s" is not a dict type (a{KV})', $signature),
                    'net.skypebus.Error.TypeMismatch',
                    ResultCode::TYPE_MISMATCH
                );
            }
        }
        $seen = [];
        foreach ($pairs as [$key, $value]) {
            if (!is_int($key) && !is_string($key) && !is_bool($key) && !is_float($key)) {
                throw new InvalidArgumentException(
                    sprintf('A dict key must be a string, int, bool or float, %s given', Values::describe($key)),
                    'net.skypebus.Error.TypeMismatch',
                    ResultCode::TYPE_MISMATCH
                );
            }
            $text = RequestEncoder::keyToJson($key);
            if (isset($seen[$text])) {
                throw new InvalidArgumentException(
                    sprintf('Duplicate dict key %s', $text),
                    'net.skypebus.Error.TypeMismatch',
                    ResultCode::TYPE_MISMATCH
                );
            }
            $seen[$text] = true;
        }
        $this->pairs = $pairs;
        $this->signature = $signature;
    }

    /**
     * @param list<array{0: mixed, 1: mixed}> $pairs
     */
    private static function inferSignature(array $pairs): string
    {
        if ($pairs === []) {
            return 'a{sv}';
        }
        $key = 'i';
        $value = null;
        foreach ($pairs as [$k, $v]) {
            if (!is_int($k)) {
                $key = 's';
            } elseif ($key === 'i' && ($k < -2147483648 || $k > 2147483647)) {
                $key = 'x';
            }
            $type = SignatureParser::infer($v);
            $value = ($value === null || $value === $type) ? $type : 'v';
        }
        return 'a{' . $key . $value . '}';
    }
}
