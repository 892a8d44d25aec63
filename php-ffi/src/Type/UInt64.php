<?php

declare(strict_types=1);

namespace SkypeBus\Type;

/**
 * D-Bus "t": an unsigned 64-bit integer; values above PHP_INT_MAX as decimal strings,
 * new UInt64('18446744073709551615').
 */
final class UInt64 extends IntegerValue
{
    public const SIGNATURE = 't';
    public const MIN = '0';
    public const MAX = '18446744073709551615';
}
