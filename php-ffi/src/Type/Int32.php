<?php

declare(strict_types=1);

namespace SkypeBus\Type;

/**
 * D-Bus "i": a signed 32-bit integer.
 */
final class Int32 extends IntegerValue
{
    public const SIGNATURE = 'i';
    public const MIN = '-2147483648';
    public const MAX = '2147483647';
}
