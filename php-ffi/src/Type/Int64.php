<?php

declare(strict_types=1);

namespace SkypeBus\Type;

/**
 * D-Bus "x": a signed 64-bit integer; an int or a decimal string.
 */
final class Int64 extends IntegerValue
{
    public const SIGNATURE = 'x';
    public const MIN = '-9223372036854775808';
    public const MAX = '9223372036854775807';
}
