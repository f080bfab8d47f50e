import { bootstrapApplication } from '@angular/platform-browser';
import { App } from './app/app';
import { appConfig } from './app/app.config';
import { sharedIdIn } from './app/shared-page/shared-path';
import { markStartup } from './app/core/perf-marks';

markStartup('main');

// A share link (/shared/{id}) opens the public read-only page, loaded on its own: the app's start-up
// (which gets or creates an identity) does not run there.
if (sharedIdIn(location.pathname) !== null) {
  import('./app/shared-page/shared-page')
    .then((page) => page.bootstrapSharedPage())
    .catch((err) => console.error(err));
} else {
  bootstrapApplication(App, appConfig)
    .then(() => markStartup('bootstrapped'))
    .catch((err) => console.error(err));
}
