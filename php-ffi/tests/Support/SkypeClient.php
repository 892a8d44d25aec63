<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Support;

/**
 * What a Skype API client exports: /com/Skype/Client, interface com.Skype.API.Client, whose
 * Notify(s) Skype calls with every notification. Records the notifications in order.
 */
final class SkypeClient
{
    public const PATH = '/com/Skype/Client';
    public const INTERFACE = 'com.Skype.API.Client';
    public const XML = <<<'XML'
<node name="/com/Skype/Client">
  <interface name="com.Skype.API.Client">
    <method name="Notify">
      <arg type="s" name="message" direction="in"/>
    </method>
  </interface>
</node>
XML;

    /** @var list<string> */
    public $notifications = [];

    public function Notify(string $message): void
    {
        $this->notifications[] = $message;
    }
}
