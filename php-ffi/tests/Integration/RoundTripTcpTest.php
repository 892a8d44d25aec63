<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

/**
 * RoundTripTest (calls and the JSON mapping) with the package's connections over tcp: the library's zbus-socket path.
 */
final class RoundTripTcpTest extends RoundTripTest
{
    use OverTcp;
}
