<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * libskypebus could not be loaded: not found, not loadable, or built for another ABI. The
 * message lists every place that was tried, why each failed, and the ways to point the package
 * at the library.
 */
final class LibraryNotFoundException extends \RuntimeException implements SkypeBusException
{
    /** The error name of this exception. */
    public const ERROR_NAME = 'net.skypebus.Error.LibraryNotFound';

    /** Always "net.skypebus.Error.LibraryNotFound". */
    public function getErrorName(): string
    {
        return self::ERROR_NAME;
    }
}
