<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * PHP's FFI cannot be used here: the extension is not loaded, ffi.enable forbids it, or
 * ffi.enable=preload is set in a server SAPI and the library was not preloaded. The message says
 * exactly what to install or set.
 */
final class FFIUnavailableException extends \RuntimeException implements SkypeBusException
{
    /** The error name of this exception. */
    public const ERROR_NAME = 'net.skypebus.Error.FFIUnavailable';

    /** Always "net.skypebus.Error.FFIUnavailable". */
    public function getErrorName(): string
    {
        return self::ERROR_NAME;
    }
}
