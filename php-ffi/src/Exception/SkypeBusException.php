<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * Implemented by every exception this package throws, so one catch takes them all.
 */
interface SkypeBusException extends \Throwable
{
}
