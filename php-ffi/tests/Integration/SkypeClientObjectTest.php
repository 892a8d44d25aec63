<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Tests\Support\SkypeClient;

/**
 * The Skype-shaped case: Skype delivers notifications by calling Notify(s) on the client's
 * /com/Skype/Client without waiting for replies; a PHP client gets every one, in order.
 */
final class SkypeClientObjectTest extends IntegrationTestCase
{
    public function testNotifyCallsSentWithDbusSendArriveInOrder(): void
    {
        $client = new SkypeClient();
        $this->bus->export(SkypeClient::PATH, $client, SkypeClient::XML);
        $destination = $this->bus->getUniqueName();
        $expected = [];
        $script = '';
        for ($i = 0; $i < 50; $i++) {
            $message = sprintf('CHATMESSAGE %d STATUS %s', 1000 + $i, $i % 2 === 0 ? 'RECEIVED' : 'READ');
            $expected[] = $message;
            $script .= sprintf(
                "dbus-send --session --type=method_call --dest=%s %s %s.Notify 'string:%s' || exit 1\n",
                $destination,
                SkypeClient::PATH,
                SkypeClient::INTERFACE,
                $message
            );
        }
        // One dbus-send after the other, while this process serves.
        self::runOk(['sh', '-c', $script], $this->bus);
        $deadline = microtime(true) + 5;
        while (count($client->notifications) < 50 && microtime(true) < $deadline) {
            $this->bus->serve(0.05);
        }
        self::assertSame($expected, $client->notifications);
        self::assertSame(0, $this->bus->eventStats()['pending_calls']);
    }

    public function testNotifyCallsQueuedWhilePhpIsBusyArriveInOrder(): void
    {
        $client = new SkypeClient();
        $this->bus->export(SkypeClient::PATH, $client, SkypeClient::XML);
        $destination = $this->bus->getUniqueName();
        $script = '';
        for ($i = 0; $i < 20; $i++) {
            $script .= sprintf("dbus-send --session --type=method_call --dest=%s %s %s.Notify string:'USER echo123 ONLINESTATUS %d'\n", $destination, SkypeClient::PATH, SkypeClient::INTERFACE, $i);
        }
        self::runOk(['sh', '-c', $script]);   // PHP does not serve meanwhile: the library queues them
        $deadline = microtime(true) + 5;
        while (count($client->notifications) < 20 && microtime(true) < $deadline) {
            $this->bus->process();
            usleep(10000);
        }
        self::assertSame(array_map(static function (int $i): string {
            return "USER echo123 ONLINESTATUS $i";
        }, range(0, 19)), $client->notifications);
    }
}
