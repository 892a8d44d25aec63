<?php

declare(strict_types=1);

namespace SkypeBus\Type;

/**
 * D-Bus "n": a signed 16-bit integer.
 */
final class Int16 extends IntegerValue
{
    public const SIGNATURE = 'n';
    public const MIN = '-32768';
    public const MAX = '32767';
}
