import { HarnessLoader } from '@angular/cdk/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { ChangeDetectionStrategy, Component, EnvironmentProviders, Provider, provideZonelessChangeDetection } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MATERIAL_ANIMATIONS } from '@angular/material/core';
import { Persona } from '../core/api-types';

/** Empty host so dialogs (rendered in the overlay container) have a fixture to hang harnesses on. */
@Component({ selector: 'nono-test-host', template: '', changeDetection: ChangeDetectionStrategy.OnPush })
class TestHost {}

export interface DialogTestBed {
  fixture: ComponentFixture<unknown>;
  /** Harness loader over the whole document, where the overlay container lives. */
  loader: HarnessLoader;
}

export function setUpDialogTest(providers: Array<Provider | EnvironmentProviders> = []): DialogTestBed {
  TestBed.configureTestingModule({
    providers: [provideZonelessChangeDetection(), { provide: MATERIAL_ANIMATIONS, useValue: { animationsDisabled: true } }, ...providers],
  });
  const fixture = TestBed.createComponent(TestHost);
  return { fixture, loader: TestbedHarnessEnvironment.documentRootLoader(fixture) };
}

export const PERSONAS: Persona[] = [
  { key: 'default', name: 'Default Assistant', description: 'A helpful, general-purpose assistant.', system_prompt: 'Be helpful.', allow_overrides: {} },
  { key: 'technical_support', name: 'Technical Support', description: 'Patient troubleshooting, step by step.', system_prompt: 'Fix it.', allow_overrides: {} },
];
