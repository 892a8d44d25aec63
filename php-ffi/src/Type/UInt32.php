<?php

declare(strict_types=1);

namespace SkypeBus\Type;

/**
 * D-Bus "u": an unsigned 32-bit integer.
 */
final class UInt32 extends IntegerValue
{
    public const SIGNATURE = 'u';
    public const MIN = '0';
    public const MAX = '4294967295';
}
