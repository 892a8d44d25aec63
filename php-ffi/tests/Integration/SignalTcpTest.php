<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

/**
 * SignalTest (signals) with the package's connections over tcp: the library's zbus-socket path.
 */
final class SignalTcpTest extends SignalTest
{
    use OverTcp;
}
