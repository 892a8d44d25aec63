<?php

declare(strict_types=1);

namespace SkypeBus\Type;

/**
 * D-Bus "q": an unsigned 16-bit integer.
 */
final class UInt16 extends IntegerValue
{
    public const SIGNATURE = 'q';
    public const MIN = '0';
    public const MAX = '65535';
}
