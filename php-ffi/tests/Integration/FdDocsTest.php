<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Tests\Support\PrivateBus;

/**
 * docs/fds.md's PHP example runs as written, in a PHP process whose session bus is the private
 * bus, against dbusmock's logind template and the GDBus service tests/support/fd_service.py.
 */
final class FdDocsTest extends IntegrationTestCase
{
    protected static function startPeers(PrivateBus $bus): void
    {
        FdTest::startFdPeers($bus);
    }

    public function testTheExampleTakesAnInhibitorSendsAFileAndReadsAReceivedOne(): void
    {
        $output = self::runOk([PHP_BINARY, self::docsExample('fds.md', 'fds-php')]);
        @unlink('/tmp/fds-example.txt');
        self::assertSame(
            "SkypeBus\\Type\\Fd, inhibitors: 1\nThe service read: some text\nWe read: made by the service\n",
            $output
        );
        $deadline = microtime(true) + 5.0;
        do {
            [$inhibitors] = $this->bus->call(FdTest::LOGIND, '/org/freedesktop/login1', 'org.freedesktop.login1.Manager', 'ListInhibitors');
        } while ($inhibitors !== [] && microtime(true) < $deadline && usleep(20000) === null);
        self::assertSame([], $inhibitors, 'the example released its inhibitor');
    }
}
