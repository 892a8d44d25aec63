<?php

declare(strict_types=1);

namespace SkypeBus\Type;

/**
 * D-Bus "y": an unsigned 8-bit integer, new Byte(2). (A binary string is Bytes, not Byte.)
 */
final class Byte extends IntegerValue
{
    public const SIGNATURE = 'y';
    public const MIN = '0';
    public const MAX = '255';
}
