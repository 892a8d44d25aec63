<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

/**
 * ServeTest (serving) with the package's connections over tcp: the library's zbus-socket path.
 */
final class ServeTcpTest extends ServeTest
{
    use OverTcp;
}
