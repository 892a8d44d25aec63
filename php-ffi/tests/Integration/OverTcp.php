<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

/**
 * Runs an integration suite with the package's connections over tcp (the library's zbus-socket
 * path; the peers we did not write stay on the bus's unix socket).
 */
trait OverTcp
{
    protected static function transport(): string
    {
        return 'tcp';
    }

    /** The connections really go over tcp: the bus knows no credentials of theirs. */
    public function testTheConnectionGoesOverTcp(): void
    {
        self::assertStringStartsWith('tcp:', static::$private->clientAddress());
        $credentials = $this->driver('GetConnectionCredentials', [$this->bus->getUniqueName()], 's');
        self::assertArrayNotHasKey('UnixUserID', $credentials[0]);
    }
}
