<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

/**
 * CallManyTest (callMany) with the package's connections over tcp: the library's zbus-socket path.
 */
final class CallManyTcpTest extends CallManyTest
{
    use OverTcp;
}
