<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * Implemented by every exception this package throws, so one catch takes them all:
 *
 *     try { ... } catch (SkypeBusException $e) { log($e->getErrorName(), $e->getMessage()); }
 */
interface SkypeBusException extends \Throwable
{
    /**
     * The error name: the D-Bus error name exactly as received (for example
     * "org.freedesktop.DBus.Error.ServiceUnknown"), or one of the package's own names under
     * "net.skypebus.Error." (for example "net.skypebus.Error.LibraryNotFound").
     */
    public function getErrorName(): string;
}
