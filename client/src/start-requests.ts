// Runs before the app's code (angular.json lists it under "polyfills", which load first): sends
// the requests start-up needs while the larger scripts are still downloading.
import { sendStartupRequests } from './app/core/start-requests';

sendStartupRequests();
