<?php

declare(strict_types=1);

namespace SkypeBus\Type;

use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Internal\ResultCode;

/**
 * Shared range checking for the integer types. Each subclass names its signature and bounds;
 * bounds are decimal strings because u64's maximum does not fit a PHP int.
 *
 * @internal
 */
abstract class IntegerValue implements TypedValue
{
    /** @var int|string */
    private $value;

    /**
     * @param int|string|float $value an int, a decimal string, or an integral float such as 2.0
     */
    public function __construct($value)
    {
        $this->value = self::check($value, static::SIGNATURE, static::MIN, static::MAX);
    }

    public function getSignature(): string
    {
        return static::SIGNATURE;
    }

    /**
     * The value as a PHP int, or as a decimal string when it is beyond PHP_INT_MAX.
     *
     * @return int|string
     */
    public function getValue()
    {
        return $this->value;
    }

    /**
     * @return array{type: string, data: int|string}
     */
    public function jsonSerialize(): array
    {
        return ['type' => static::SIGNATURE, 'data' => $this->value];
    }

    /**
     * @param mixed $value
     * @return int|string
     */
    private static function check($value, string $signature, string $min, string $max)
    {
        if (is_float($value) && is_finite($value) && floor($value) === $value && abs($value) < 9.0e15) {
            $value = (int) $value;
        }
        if (is_int($value)) {
            $text = (string) $value;
        } elseif (is_string($value) && preg_match('/^-?(0|[1-9][0-9]*)$/D', $value) === 1 && $value !== '-0') {
            $text = $value;
        } else {
            throw new InvalidArgumentException(
                sprintf('A D-Bus "%s" value must be an integer or a decimal string, %s given', $signature, self::show($value)),
                'net.skypebus.Error.TypeMismatch',
                ResultCode::TYPE_MISMATCH
            );
        }
        if (self::compare($text, $min) < 0 || self::compare($text, $max) > 0) {
            throw new InvalidArgumentException(
                sprintf('%s is out of range for D-Bus "%s" (%s to %s)', $text, $signature, $min, $max),
                'net.skypebus.Error.TypeMismatch',
                ResultCode::TYPE_MISMATCH
            );
        }
        if (is_int($value)) {
            return $value;
        }
        // A decimal string: an int when PHP can hold it, the exact text otherwise.
        if (self::compare($text, (string) PHP_INT_MIN) >= 0 && self::compare($text, (string) PHP_INT_MAX) <= 0) {
            return (int) $text;
        }
        return $text;
    }

    /** Compares two canonical decimal integer strings numerically. */
    private static function compare(string $a, string $b): int
    {
        $negA = $a[0] === '-';
        $negB = $b[0] === '-';
        if ($negA !== $negB) {
            return $negA ? -1 : 1;
        }
        $absA = ltrim($a, '-');
        $absB = ltrim($b, '-');
        $cmp = strlen($absA) <=> strlen($absB);
        if ($cmp === 0) {
            $cmp = strcmp($absA, $absB) <=> 0;
        }
        return $negA ? -$cmp : $cmp;
    }

    /** @param mixed $value */
    private static function show($value): string
    {
        return is_scalar($value) ? var_export($value, true) : gettype($value);
    }
}
